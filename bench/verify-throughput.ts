// Figure: `skiff bundle verify` throughput on the full netapp 2.0.0 bundle, against `sha256sum` of the same file
// (both read it from the page cache after a first warm-up read), interleaved.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { VerifyOnlySink, readBundle, trustVerifier } from '../src/bundle/index.ts';
import { parseRoot } from '../src/trust/index.ts';
import { ROUNDS, median, readSetup, record, run, skiff } from './lib/run.ts';

const rate = (bytes: number, ms: number): string => `${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;

/** The verifier alone, in this process: what `bundle verify` does once the CLI has started. */
async function verifyInProcess(file: string, root: string): Promise<{ ms: number; cpuMs: number }> {
  const verify = trustVerifier(parseRoot(await readFile(root), root));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await readBundle(createReadStream(file, { highWaterMark: 1 << 20 }), { verify, sink: new VerifyOnlySink(), allowMissing: true });
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

/** sha256sum's wall time and CPU time (user + system), through /usr/bin/time. */
async function sha256sum(file: string): Promise<{ ms: number; cpuMs: number }> {
  const r = await run('/usr/bin/time', ['-f', 'cpu %U %S', 'sha256sum', file]);
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error('/usr/bin/time printed no CPU times');
  return { ms: r.ms, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 };
}

async function main(): Promise<void> {
  const s = await readSetup();
  const file = s.bundles['full-2.0.0'];
  if (!file) throw new Error('setup lacks the full 2.0.0 bundle');
  const size = (await stat(file)).size;
  await run('sha256sum', [file]);
  const ours: number[] = [];
  const lib: number[] = [];
  const peer: number[] = [];
  const libCpu: number[] = [];
  const peerCpu: number[] = [];
  // Cheap figure on a shared machine: more rounds than the others, so the medians settle.
  for (let i = 0; i < ROUNDS + 2; i++) {
    ours.push((await skiff('bundle', 'verify', '--trust', s.root, file)).ms);
    const p = await sha256sum(file);
    peer.push(p.ms);
    peerCpu.push(p.cpuMs);
    const l = await verifyInProcess(file, s.root);
    lib.push(l.ms);
    libCpu.push(l.cpuMs);
  }
  const a = median(ours);
  const b = median(peer);
  const c = median(lib);
  await record({
    figure: `bundle verify throughput (full netapp 2.0.0, ${(size / 2 ** 20).toFixed(0)} MiB, CLI incl. start-up)`,
    skiff: rate(size, a),
    peer: rate(size, b),
    ratio: `${((b / a) * 100).toFixed(0)} %`,
    target: '≥ 80 %',
    met: b / a >= 0.8 ? 'yes' : 'no',
    samples: `skiff ${ours.map((x) => rate(size, x)).join(', ')}; sha256sum ${peer.map((x) => rate(size, x)).join(', ')}`,
  });
  await record({
    figure: 'bundle verify throughput, steady state (the verifier in-process, without the CLI start-up)',
    skiff: rate(size, c),
    peer: rate(size, b),
    ratio: `${((b / c) * 100).toFixed(0)} %`,
    target: '≥ 80 %',
    met: b / c >= 0.8 ? 'yes' : 'no',
    samples: `in-process ${lib.map((x) => rate(size, x)).join(', ')}`,
  });
  const cpuA = median(libCpu);
  const cpuB = median(peerCpu);
  await record({
    figure: 'bundle verify throughput per CPU second (in-process verifier vs sha256sum; immune to other load)',
    skiff: rate(size, cpuA),
    peer: rate(size, cpuB),
    ratio: `${((cpuB / cpuA) * 100).toFixed(0)} %`,
    target: '≥ 80 %',
    met: cpuB / cpuA >= 0.8 ? 'yes' : 'no',
    samples: `CPU ms: verifier ${libCpu.map((x) => x.toFixed(0)).join(', ')}; sha256sum ${peerCpu.map((x) => x.toFixed(0)).join(', ')}`,
  });
}

await main();
