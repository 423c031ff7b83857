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
async function verifyInProcess(file: string, root: string): Promise<number> {
  const verify = trustVerifier(parseRoot(await readFile(root), root));
  const t0 = performance.now();
  await readBundle(createReadStream(file, { highWaterMark: 1 << 20 }), { verify, sink: new VerifyOnlySink(), allowMissing: true });
  return performance.now() - t0;
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
  for (let i = 0; i < ROUNDS; i++) {
    ours.push((await skiff('bundle', 'verify', '--trust', s.root, file)).ms);
    peer.push((await run('sha256sum', [file])).ms);
    lib.push(await verifyInProcess(file, s.root));
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
}

await main();
