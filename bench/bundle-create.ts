// Figure: full bundle creation of netapp 1.0.0 from the store, against `docker save | gzip` and
// `skopeo copy docker-daemon: oci-archive:`, interleaved. Also the CLI's fixed start-up cost, for the notes.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ROUNDS, image, median, note, readSetup, record, secs, sh, skiff, workDir } from './lib/run.ts';

async function main(): Promise<void> {
  const s = await readSetup();
  const dir = workDir();
  const out = join(dir, 'bc-full.skiff');
  const ours: number[] = [];
  const gz: number[] = [];
  const sko: number[] = [];
  const startup: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await rm(out, { force: true });
    ours.push((await skiff('bundle', 'create', '--store', s.store, `${s.app}@1.0.0`, '-o', out)).ms);
    gz.push((await sh(`docker save ${image('1.0.0')} | gzip > ${join(dir, 'bc-peer.tar.gz')}`)).ms);
    await rm(join(dir, 'bc-peer.oci.tar'), { force: true });
    sko.push((await sh(`skopeo copy -q docker-daemon:${image('1.0.0')} oci-archive:${join(dir, 'bc-peer.oci.tar')}`)).ms);
    startup.push((await skiff('--version')).ms);
  }
  await rm(out, { force: true });
  await rm(join(dir, 'bc-peer.tar.gz'), { force: true });
  await rm(join(dir, 'bc-peer.oci.tar'), { force: true });
  const a = median(ours);
  const b = median(gz);
  const c = median(sko);
  const samples = `skiff ${ours.map(secs).join(', ')}; docker save|gzip ${gz.map(secs).join(', ')}; skopeo ${sko.map(secs).join(', ')}`;
  await record({ figure: 'full bundle create netapp 1.0.0 vs docker save | gzip', skiff: secs(a), peer: secs(b), ratio: `${(b / a).toFixed(1)}× faster`, target: '≥ 10× faster', met: b / a >= 10 ? 'yes' : 'no', samples });
  await record({ figure: 'full bundle create netapp 1.0.0 vs skopeo copy → oci-archive', skiff: secs(a), peer: secs(c), ratio: `${(c / a).toFixed(1)}× faster`, target: 'faster', met: a < c ? 'yes' : 'no', samples });
  await note(`CLI start-up (\`skiff --version\`: Node + tsx loading the TypeScript CLI), part of every skiff figure: median ${secs(median(startup))} (${startup.map(secs).join(', ')}).`);
}

await main();
