// Figure: the engine's load of one image, the install phase that decides install vs `docker load`. netapp 1.0.0 under a
// fresh bottom layer (so the engine holds none of its layers, as on a new site) is loaded three ways, interleaved:
// the agent's path (loadVerifiedImages) sending the gzip layers inflated as they are sent, one archive of the layers
// as stored (the engine gunzips them), and the peer `docker load -i` of `docker save | gzip`. Wall time, and the CPU time of
// dockerd (from /proc: other work on the engine adds to it) and of the agent.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { dockerArchive } from '../src/agent/docker-archive.ts';
import { loadVerifiedImages } from '../src/agent/image-load.ts';
import { DockerEngine } from '../src/engine/index.ts';
import { MediaType, type Digest, type ImageManifest } from '../src/oci/index.ts';
import { image, median, quiet, record, run, secs, sh, workDir } from './lib/run.ts';

const sha = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

/** The entries of a `docker save` archive, by name. */
async function entries(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = tarExtract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => void buffer(stream).then((b) => (out.set(h.name, b), next()), reject));
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  createReadStream(file).pipe(ex);
  await done;
  return out;
}

async function tarOf(files: [string, Buffer][]): Promise<Buffer> {
  const p = tarPack();
  for (const [name, data] of files) p.entry({ name, size: data.length }, data);
  p.finalize();
  return buffer(p);
}

const dockerdCpu = async (pid: string): Promise<number> => {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) / 100) * 1000; // utime + stime, clock ticks of 10 ms
};

async function main(): Promise<void> {
  const dir = join(workDir(), 'install-load');
  await mkdir(dir, { recursive: true });
  const saved = join(dir, 'save.tar');
  await run('docker', ['save', '-o', saved, image('1.0.0')]);
  const files = await entries(saved);
  const m = (JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; Layers: string[] }[])[0]!;
  const config = JSON.parse(files.get(m.Config)!.toString()) as { rootfs: { diff_ids: string[] }; history?: unknown[] };
  const unique = await tarOf([[`bench-${randomBytes(8).toString('hex')}`, Buffer.from('x')]]);
  const tars = [unique, ...m.Layers.map((l) => files.get(l)!)];
  config.rootfs.diff_ids = tars.map(sha);
  config.history = [{ created: new Date(0).toISOString(), created_by: 'bench: a bottom layer no engine holds' }, ...(config.history ?? [])];
  const configBytes = Buffer.from(JSON.stringify(config));
  const blobs = new Map<Digest, Buffer>([[sha(configBytes), configBytes]]);
  const layers = [];
  for (const t of tars) {
    const gz = await promisify(gzip)(t);
    blobs.set(sha(gz), gz);
    layers.push({ mediaType: MediaType.ociLayerGzip, digest: sha(gz), size: gz.length });
  }
  const manifest: ImageManifest = { config: { mediaType: MediaType.dockerConfig, digest: sha(configBytes), size: configBytes.length }, layers };
  const id = `sha256:${sha(configBytes).slice(7)}`;
  const peerFile = join(dir, 'peer.tar.gz');
  const rawArchive = await tarOf([['manifest.json', Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: null, Layers: tars.map((_, i) => `${i}.tar`) }]))], ['config.json', configBytes], ...tars.map((t, i): [string, Buffer] => [`${i}.tar`, t])]);
  await writeFile(join(dir, 'peer.tar'), rawArchive);
  await sh(`gzip -c "${dir}/peer.tar" > "${peerFile}" && rm "${dir}/peer.tar"`);
  files.clear();
  await rm(saved);

  const engine = await DockerEngine.connect();
  const pid = (await run('pidof', ['dockerd'])).stdout.trim().split(' ')[0]!;
  const open = async (d: Digest, start?: number): Promise<Readable> => Readable.from([blobs.get(d)!.subarray(start ?? 0)]);
  const kinds = {
    gzip: () => engine.imageLoad(dockerArchive([{ manifest }], open)),
    tars: () => loadVerifiedImages(engine, 'benchload', [{ manifest, tarSizes: tars.map((t) => t.length) }], open),
    peer: () => run('docker', ['load', '-q', '-i', peerFile]).then(() => undefined),
  };
  const samples: Record<keyof typeof kinds, { ms: number; dockerd: number; agent: number }[]> = { gzip: [], tars: [], peer: [] };
  try {
    for (let i = 0; i < Number(process.env.BENCH_ROUNDS ?? 3); i++)
      for (const [kind, load] of Object.entries(kinds) as [keyof typeof kinds, () => Promise<void>][]) {
        await quiet('docker', ['rmi', '-f', id]);
        const [d0, c0, t0] = [await dockerdCpu(pid), process.cpuUsage(), performance.now()];
        await load();
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        samples[kind].push({ ms, dockerd: (await dockerdCpu(pid)) - d0, agent: (c.user + c.system) / 1000 });
        if (!(await engine.imageInspect(id))) throw new Error(`${kind}: the image is not in the engine after its load`);
      }
  } finally {
    await quiet('docker', ['rmi', '-f', id]);
    await rm(dir, { recursive: true, force: true });
  }
  const med = (k: keyof typeof kinds, f: 'ms' | 'dockerd' | 'agent'): number => median(samples[k].map((s) => s[f]));
  const show = (k: keyof typeof kinds): string => samples[k].map((s) => `${secs(s.ms)} (dockerd CPU ${secs(s.dockerd)}, agent CPU ${secs(s.agent)})`).join(', ');
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ')[0];
  for (const k of ['tars', 'gzip'] as const)
    await record({
      figure: `install phase: the engine's load of netapp 1.0.0 (no layer held), agent sending ${k === 'tars' ? 'gzip layers inflated as they are sent' : 'gzip layers as stored'} vs docker load of docker save | gzip`,
      skiff: `${secs(med(k, 'ms'))} (dockerd CPU ${secs(med(k, 'dockerd'))})`,
      peer: `${secs(med('peer', 'ms'))} (dockerd CPU ${secs(med('peer', 'dockerd'))})`,
      ratio: `${(med('peer', 'ms') / med(k, 'ms')).toFixed(2)}× faster`,
      target: k === 'tars' ? 'faster' : '—',
      met: k === 'tars' ? (med(k, 'ms') < med('peer', 'ms') ? 'yes' : 'no') : '—',
      samples: `${k}: ${show(k)}; docker load: ${show('peer')}; load average ${load}`,
    });
}

await main();
