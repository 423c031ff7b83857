// Figure: release create (engine → signed release in the store) of netapp 1.0.0, cold (a fresh store, no
// diffID cache) and warm (1.0.1 into a store that has 1.0.0), against `docker save | gzip`, interleaved.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ROUNDS, image, median, readSetup, record, secs, sh, skiff, workDir } from './lib/run.ts';

async function main(): Promise<void> {
  const s = await readSetup();
  const dir = workDir();
  const create = (store: string, v: string) =>
    skiff('release', 'create', '--compose', s.compose[v]!, '--app', s.app, '--version', v, '--trust', s.trustDir, '--store', store);
  const peer = (v: string) => sh(`docker save ${image(v)} | gzip > ${join(dir, 'rc-peer.tar.gz')}`);

  const cold: number[] = [];
  const warm: number[] = [];
  const peerCold: number[] = [];
  const peerWarm: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const store = join(dir, `rc-store-${i}`);
    cold.push((await create(store, '1.0.0')).ms);
    peerCold.push((await peer('1.0.0')).ms);
    warm.push((await create(store, '1.0.1')).ms);
    peerWarm.push((await peer('1.0.1')).ms);
    await rm(store, { recursive: true, force: true });
  }
  await rm(join(dir, 'rc-peer.tar.gz'), { force: true });
  const row = async (figure: string, ours: number[], theirs: number[]): Promise<void> => {
    const a = median(ours);
    const b = median(theirs);
    await record({
      figure,
      skiff: secs(a),
      peer: secs(b),
      ratio: `${(b / a).toFixed(2)}× faster`,
      target: 'no slower',
      met: a <= b ? 'yes' : 'no',
      samples: `skiff ${ours.map((x) => secs(x)).join(', ')}; peer ${theirs.map((x) => secs(x)).join(', ')}`,
    });
  };
  await row('release create netapp 1.0.0, cold (fresh store)', cold, peerCold);
  await row('release create netapp 1.0.1, warm (store has 1.0.0; extra row)', warm, peerWarm);
}

await main();
