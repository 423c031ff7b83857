// Figure: `release push` of the corpus netapp 1.1.0 to a hub that has 1.0.0: bytes sent against the release's size
// (only the layers 1.0.0 lacks should travel). Reuses bench/setup.ts's store when BENCH_WORK has one. Prints one JSON result row.
import { execFile } from 'node:child_process';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { pushRelease } from '../src/hub-client/index.ts';
import { getRelease, releaseBlobs } from '../src/release/index.ts';
import { FsBlobStore } from '../src/store/index.ts';
import { hubInit, startHubProcess } from '../test/helpers/hub-process.ts';

const run = promisify(execFile);
const SKIFF = join(import.meta.dirname, '../bin/skiff.js');
const skiff = (...args: string[]) => run(process.execPath, [SKIFF, ...args], { maxBuffer: 16 * 1024 * 1024 });
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

interface Source {
  readonly app: string;
  readonly store: string;
  readonly root: string;
}

/** bench/setup.ts's store when the runner made one, else releases 1.0.0 and 1.1.0 of the corpus images made here. */
async function source(dir: string): Promise<Source> {
  const work = process.env.BENCH_WORK;
  if (work) {
    const setup = await readFile(join(work, 'setup.json'), 'utf8').then((t) => JSON.parse(t) as Source, () => undefined);
    if (setup) return setup;
  }
  const app = 'benchpush';
  const trust = join(dir, 'trust');
  const store = join(dir, 'store');
  await skiff('trust', 'init', '--dir', trust);
  for (const v of ['1.0.0', '1.1.0']) {
    const compose = join(dir, `compose-${v}.yaml`);
    await writeFile(compose, `services:\n  netapp:\n    image: skiff-bench/netapp:${v}\n`);
    await skiff('release', 'create', '--compose', compose, '--app', app, '--version', v, '--trust', trust, '--store', store);
  }
  return { app, store, root: join(trust, 'root.json') };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-push-'));
  let stop: (() => Promise<void>) | undefined;
  try {
    const src = await source(dir);
    const data = join(dir, 'hub');
    const { token } = await hubInit({ data });
    const hub = await startHubProcess({ data });
    stop = () => hub.stop();
    await skiff('app', 'create', src.app, '--root', src.root, '--hub', hub.url, '--token', token);
    const conn = { hub: hub.url, token };
    const store = new FsBlobStore(src.store);
    const first = await pushRelease({ conn, store, app: src.app, version: '1.0.0' });
    const t0 = performance.now();
    const second = await pushRelease({ conn, store, app: src.app, version: '1.1.0' });
    const ms = performance.now() - t0;
    const blobsOf = async (v: string) => releaseBlobs(store, (await getRelease(store, src.app, v)).manifest);
    const base = new Set((await blobsOf('1.0.0')).map((b) => b.digest));
    const next = await blobsOf('1.1.0');
    const size = next.reduce((a, b) => a + b.size, 0);
    const onlyNew = next.filter((b) => !base.has(b.digest)).map((b) => b.digest).sort();
    const exact = JSON.stringify([...second.sent].sort()) === JSON.stringify(onlyNew);
    const ratio = second.sentBytes / size;
    const row = {
      figure: 'release push netapp 1.1.0 after 1.0.0 (bytes sent / release size)',
      skiff: mib(second.sentBytes),
      peer: `${mib(size)} (whole release)`,
      ratio: `${(ratio * 100).toFixed(2)} %`,
      target: 'only the blobs 1.0.0 lacks',
      met: exact ? 'yes' : 'no',
      samples: `1.1.0: ${second.sent.length} blobs sent (${second.sentBytes} bytes) in ${Math.round(ms)} ms, ${second.skipped.length} already on the hub; 1.0.0 first: ${first.sent.length} blobs, ${first.sentBytes} bytes`,
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
  } finally {
    await stop?.().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
