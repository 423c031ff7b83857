// Figure: full bundle creation of netapp 1.0.0 from the store, against `docker save | gzip` and
// `skopeo copy docker-daemon: oci-archive:`, interleaved. Also the CLI's fixed start-up cost, for the notes.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { writeBundle } from '../src/bundle/index.ts';
import { HashingStream } from '../src/oci/digest.ts';
import { getRelease, loadChain } from '../src/release/index.ts';
import { FsBlobStore } from '../src/store/index.ts';
import { ROUNDS, image, median, note, readSetup, record, secs, sh, skiff, workDir } from './lib/run.ts';

/** What `skiff bundle create` does once the CLI has started: read the release, stream the bundle, hash it. */
async function createInProcess(storeDir: string, app: string, out: string): Promise<number> {
  const t0 = performance.now();
  const store = new FsBlobStore(storeDir);
  const release = await getRelease(store, app, '1.0.0');
  const hasher = new HashingStream();
  const written = pipeline(hasher, createWriteStream(out));
  await writeBundle({ blobs: store, release, chain: await loadChain(store, app) }, hasher);
  await written;
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const s = await readSetup();
  const dir = workDir();
  const out = join(dir, 'bc-full.skiff');
  const ours: number[] = [];
  const gz: number[] = [];
  const sko: number[] = [];
  const startup: number[] = [];
  const lib: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await rm(out, { force: true });
    ours.push((await skiff('bundle', 'create', '--store', s.store, `${s.app}@1.0.0`, '-o', out)).ms);
    gz.push((await sh(`docker save ${image('1.0.0')} | gzip > ${join(dir, 'bc-peer.tar.gz')}`)).ms);
    await rm(join(dir, 'bc-peer.oci.tar'), { force: true });
    sko.push((await sh(`skopeo copy -q docker-daemon:${image('1.0.0')} oci-archive:${join(dir, 'bc-peer.oci.tar')}`)).ms);
    startup.push((await skiff('--version')).ms);
    await rm(out, { force: true });
    lib.push(await createInProcess(s.store, s.app, out));
  }
  await rm(out, { force: true });
  await rm(join(dir, 'bc-peer.tar.gz'), { force: true });
  await rm(join(dir, 'bc-peer.oci.tar'), { force: true });
  const a = median(ours);
  const b = median(gz);
  const c = median(sko);
  const d = median(lib);
  const samples = `skiff ${ours.map(secs).join(', ')}; docker save|gzip ${gz.map(secs).join(', ')}; skopeo ${sko.map(secs).join(', ')}`;
  await record({ figure: 'full bundle create netapp 1.0.0 vs docker save | gzip', skiff: secs(a), peer: secs(b), ratio: `${(b / a).toFixed(1)}× faster`, target: '≥ 10× faster', met: b / a >= 10 ? 'yes' : 'no', samples });
  await record({ figure: 'full bundle create netapp 1.0.0 vs skopeo copy → oci-archive', skiff: secs(a), peer: secs(c), ratio: `${(c / a).toFixed(1)}× faster`, target: 'faster', met: a < c ? 'yes' : 'no', samples });
  await record({ figure: 'full bundle create netapp 1.0.0, steady state (in-process, without the CLI start-up) vs docker save | gzip', skiff: secs(d), peer: secs(b), ratio: `${(b / d).toFixed(1)}× faster`, target: '≥ 10× faster', met: b / d >= 10 ? 'yes' : 'no', samples: `in-process ${lib.map(secs).join(', ')}` });
  await note(`CLI start-up (\`skiff --version\`: Node + tsx loading the TypeScript CLI), part of every skiff figure: median ${secs(median(startup))} (${startup.map(secs).join(', ')}).`);
}

await main();
