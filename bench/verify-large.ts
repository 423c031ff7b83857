// Figure: `skiff bundle verify` on a multi-GB bundle (one image whose layer is random bytes, so nothing compresses)
// against `openssl dgst -sha256` of the same file — OpenSSL's SHA-256 with the CPU's SHA extensions, the hash limit.
// Both read the file from the page cache after a warm-up read; interleaved. The bundle is built once (a few 1 GiB random
// files in one layer, stored uncompressed: gzip of random bytes would take minutes and gain nothing) and cached between
// runs in BENCH_CACHE (default ~/.cache/skiff-bench); the image and store are removed.
// BENCH_VERIFY_GIB sets the size (default 3); BENCH_VERIFY_BUNDLE with BENCH_VERIFY_ROOT measures an existing bundle.
import { access, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { median, quiet, record, run, SKIFF } from './lib/run.ts';

// Building the bundle reads GBs through the engine twice (release create, its SBOM): longer than run()'s 10 minutes.
const HOUR = 3_600_000;
const sh = (script: string) => run('bash', ['-c', `set -euo pipefail; ${script}`], { timeoutMs: HOUR });
const skiff = (...args: string[]) => run(SKIFF, args, { timeoutMs: HOUR });

const rate = (bytes: number, ms: number): string => `${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;

/** Wall and CPU time (user + system) of one run, through GNU time. */
async function timed(cmd: string, args: string[]): Promise<{ ms: number; cpuMs: number }> {
  const r = await run('/usr/bin/time', ['-f', 'cpu %U %S', cmd, ...args]);
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error('/usr/bin/time printed no CPU times');
  return { ms: r.ms, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 };
}

/** A trust dir, a one-service release of a random-content image and its full bundle, in `dir` (kept once complete). */
async function makeBundle(dir: string, gib: number): Promise<{ bundle: string; root: string }> {
  const made = { bundle: join(dir, 'big.skiff'), root: join(dir, 'trust', 'root.json') };
  if (await access(made.bundle).then(() => true, () => false)) return made;
  const image = `skiff-bench/verify-large:${process.pid}`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'rootfs'), { recursive: true });
  try {
    const files = Array.from({ length: gib }, (_, i) => `data${i}.bin`);
    for (const f of files) await sh(`head -c ${2 ** 30} /dev/urandom > "${dir}/rootfs/${f}"`);
    await sh(`tar -C "${dir}/rootfs" -cf - ${files.join(' ')} | docker import - ${image} >/dev/null`);
    await rm(join(dir, 'rootfs'), { recursive: true, force: true });
    await writeFile(join(dir, 'compose.yaml'), `services:\n  big:\n    image: ${image}\n`);
    await skiff('trust', 'init', '--dir', join(dir, 'trust'));
    await skiff('release', 'create', '--compose', join(dir, 'compose.yaml'), '--app', 'verifylarge', '--version', '1.0.0', '--trust', join(dir, 'trust'), '--store', join(dir, 'store'), '--layer-compression', 'stored');
    await skiff('bundle', 'create', 'verifylarge@1.0.0', '--store', join(dir, 'store'), '-o', join(dir, 'big.skiff.part'));
    await rename(join(dir, 'big.skiff.part'), made.bundle);
  } finally {
    await quiet('docker', ['rmi', image]);
    await rm(join(dir, 'rootfs'), { recursive: true, force: true });
    await rm(join(dir, 'store'), { recursive: true, force: true });
  }
  return made;
}

async function main(): Promise<void> {
  const gib = Number(process.env.BENCH_VERIFY_GIB ?? 3);
  const dir = join(process.env.BENCH_CACHE ?? join(homedir(), '.cache/skiff-bench'), `verify-large-${gib}gib`);
  const given = process.env.BENCH_VERIFY_BUNDLE;
  const { bundle, root } = given ? { bundle: given, root: process.env.BENCH_VERIFY_ROOT ?? '' } : await makeBundle(dir, gib);
  const size = (await stat(bundle)).size;
  await run('openssl', ['dgst', '-sha256', bundle]);
  const ours: { ms: number; cpuMs: number }[] = [];
  const peer: { ms: number; cpuMs: number }[] = [];
  for (let i = 0; i < Number(process.env.BENCH_ROUNDS ?? 3); i++) {
    ours.push(await timed(process.execPath, [join(import.meta.dirname, '../bin/skiff.js'), 'bundle', 'verify', '--trust', root, bundle]));
    peer.push(await timed('openssl', ['dgst', '-sha256', bundle]));
  }
  const a = median(ours.map((s) => s.ms));
  const b = median(peer.map((s) => s.ms));
  const cpu = (xs: { cpuMs: number }[]): string => xs.map((s) => `${(s.cpuMs / 1000).toFixed(2)} s`).join(', ');
  await record({
    figure: `bundle verify throughput, multi-GB (${(size / 1e9).toFixed(1)} GB random-content bundle, CLI incl. start-up) vs openssl dgst -sha256`,
    skiff: rate(size, a),
    peer: rate(size, b),
    ratio: `${((b / a) * 100).toFixed(0)} %`,
    target: '≥ 80 %',
    met: b / a >= 0.8 ? 'yes' : 'no',
    samples: `skiff ${ours.map((s) => rate(size, s.ms)).join(', ')} (CPU ${cpu(ours)}); openssl ${peer.map((s) => rate(size, s.ms)).join(', ')} (CPU ${cpu(peer)})`,
  });
}

await main();
