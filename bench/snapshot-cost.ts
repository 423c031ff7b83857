// Figure: the cost of a volume snapshot — time to copy a volume to the state dir and to restore it, and the disk the
// copy takes, per GB of volume data (BENCH_SNAPSHOT_MB of incompressible data, default 1024), measured with the
// agent's own snapshot code against the engine. The peer is `docker run … tar` of the same volume.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { restoreVolumes, takeSnapshot } from '../src/agent/snapshots.ts';
import { DockerEngine } from '../src/engine/index.ts';
import { Label } from '../src/oci/index.ts';
import { image, quiet, record, run, secs } from './lib/run.ts';

const MB = Math.max(16, Number(process.env.BENCH_SNAPSHOT_MB ?? 1024));

async function main(): Promise<void> {
  const engine = await DockerEngine.connect();
  const app = `snapcost-${process.pid}`;
  const volume = `${app}_data`;
  const dir = await mkdtemp(join(process.env.BENCH_WORK ?? tmpdir(), 'snapcost-'));
  const img = (await engine.imageInspect(image('1.0.0')))?.id;
  if (!img) throw new Error(`${image('1.0.0')} is missing: run ../shared/bench/make-corpus.sh`);
  try {
    await engine.volumeCreate(volume, { [Label.app]: app });
    await run('docker', ['run', '--rm', '-v', `${volume}:/data`, image('1.0.0'), 'sh', '-c', `head -c ${MB}M /dev/urandom > /data/blob && mkdir /data/many && for i in $(seq 1 2000); do echo $i > /data/many/$i; done`], { timeoutMs: 600_000 });
    const gb = MB / 1024;
    let t0 = performance.now();
    const meta = await takeSnapshot(engine, dir, { id: 'bench', app, release: '1.0.0', before: '1.0.1', createdAt: new Date().toISOString() }, ['data'], img, async () => undefined);
    const copyMs = performance.now() - t0;
    const tarBytes = (await stat(join(dir, 'snapshots', 'bench', 'data.tar'))).size;
    t0 = performance.now();
    await restoreVolumes(engine, dir, app, 'bench', ['data'], img, async () => undefined);
    const restoreMs = performance.now() - t0;
    t0 = performance.now();
    await run('docker', ['run', '--rm', '-v', `${volume}:/data:ro`, '-v', `${dir}:/out`, image('1.0.0'), 'tar', '-cf', '/out/peer.tar', '-C', '/data', '.'], { timeoutMs: 600_000 });
    const peerMs = performance.now() - t0;
    await record({
      figure: `volume snapshot, ${MB} MiB of incompressible data + 2000 small files (per GiB: copy / restore / disk)`,
      skiff: `${secs(copyMs / gb)} / ${secs(restoreMs / gb)} / ${(tarBytes / 2 ** 30 / gb).toFixed(3)} GiB`,
      peer: `${secs(peerMs / gb)} (docker run tar, copy only)`,
      ratio: `${(peerMs / copyMs).toFixed(2)}×`,
      target: 'copy ≤ 2× docker run tar',
      met: copyMs <= 2 * peerMs ? 'yes' : 'no',
      samples: `copy ${secs(copyMs)}, restore ${secs(restoreMs)}, tar ${tarBytes} bytes for ${meta.volumes[0]?.name}`,
    });
  } finally {
    for (const c of await engine.containerList({ label: [`${Label.app}=${app}`] })) await engine.containerRemove(c.id, { force: true });
    await quiet('docker', ['volume', 'rm', volume]);
    await rm(dir, { recursive: true, force: true });
    await engine.close();
  }
}

await main();
