// Figure: download of a 100 MB layer through the hub's /v2/ (a `skiff hub serve` process, customer token) against nginx
// serving the same file; medians of BENCH_ROUNDS (≥ 3) GETs each, alternating. Prints one JSON result row.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { openMetadataDb } from '../src/hub/db/index.ts';
import { MediaType } from '../src/oci/constants.ts';
import { sha256 } from '../src/oci/digest.ts';
import { releaseBytes, releaseDigest, RELEASE_SCHEMA, type ReleaseManifest } from '../src/release/index.ts';
import { FsBlobStore } from '../src/store/index.ts';
import { hubInit, startHubProcess } from '../test/helpers/hub-process.ts';
import { startNginx } from './lib/nginx.ts';

const SIZE = 100 * 1024 * 1024;
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));
const TARGET = 0.9;
const APP = 'benchblob';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** One GET, the body drained; returns MB/s. */
async function download(url: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const res = await request(url, { headers });
  let n = 0;
  for await (const chunk of res.body) n += (chunk as Buffer).length;
  const s = (performance.now() - t0) / 1000;
  if (res.statusCode !== 200 || n !== SIZE) throw new Error(`GET ${url} answered ${res.statusCode} with ${n} bytes`);
  return SIZE / 1e6 / s;
}

/** An image manifest whose only layer is the big blob, and a release of it, written straight into the hub's SQLite and store. */
async function seedHub(data: string, layer: string): Promise<{ digest: string }> {
  const blobs = new FsBlobStore(join(data, 'store'));
  const layerStat = await blobs.put(createReadStream(layer));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerStat.digest] }, config: {} }));
  const configDigest = sha256(config);
  await blobs.put([config], { digest: configDigest });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: layerStat.digest, size: SIZE }],
    }),
  );
  const manifestDigest = sha256(manifest);
  await blobs.put([manifest], { digest: manifestDigest });
  const release: ReleaseManifest = {
    schema: RELEASE_SCHEMA,
    app: APP,
    version: '1.0.0',
    createdAt: new Date().toISOString(),
    channelHints: [],
    images: {
      blob: {
        ref: 'bench/blob:1',
        manifestDigest,
        manifestMediaType: MediaType.ociManifest,
        configDigest,
        platform: { os: 'linux', architecture: 'amd64' },
        sizes: { manifest: manifest.length, total: SIZE + config.length },
      },
    },
    compose: { services: { blob: { image: 'bench/blob:1' } } },
    configSchema: [],
    hooks: {},
    changelog: '',
    minAgentVersion: '0.0.0',
    sbom: [],
  };
  const bytes = releaseBytes(release);
  const db = await openMetadataDb({ dataDir: data });
  try {
    await db.mutate(async (tx) => {
      await tx.createApp(APP, { version: 1, bytes: Buffer.from('{}') });
      await tx.putRelease({ app: APP, version: '1.0.0', digest: releaseDigest(bytes), manifest: bytes, signature: Buffer.from('{}'), visible: true });
      await tx.promote(APP, 'stable', '1.0.0', false);
    }, { actor: 'system', action: 'bench.seed', target: `app:${APP}`, address: 'local' });
  } finally {
    await db.close();
  }
  return { digest: layerStat.digest };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-blob-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    const layer = join(dir, 'layer.bin');
    await writeFile(layer, randomBytes(SIZE));
    const data = join(dir, 'hub');
    const { token: admin } = await hubInit({ data });
    const { digest } = await seedHub(data, layer);
    const hub = await startHubProcess({ data });
    stops.push(() => hub.stop());
    const made = await request(`${hub.url}/api/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', entitlements: [{ app: APP, channel: 'stable' }] }),
    });
    const { token } = (await made.body.json()) as { token: string };
    const nginx = await startNginx(dir, { '/blob': layer });
    stops.push(() => nginx.stop());

    const hubUrl = `${hub.url}/v2/${APP}/blob/blobs/${digest}`;
    const auth = { authorization: `Basic ${Buffer.from(`bench:${token}`).toString('base64')}` };
    await download(hubUrl, auth);
    await download(`${nginx.origin}/blob`, {});
    const ours: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await download(hubUrl, auth));
      peer.push(await download(`${nginx.origin}/blob`, {}));
    }
    const ratio = median(ours) / median(peer);
    const row = {
      figure: 'blob download 100 MB through the hub /v2/ vs nginx',
      skiff: `${median(ours).toFixed(0)} MB/s`,
      peer: `${median(peer).toFixed(0)} MB/s`,
      ratio: `${(ratio * 100).toFixed(1)} %`,
      target: `≥ ${TARGET * 100} %`,
      met: ratio >= TARGET ? 'yes' : 'no',
      samples: `hub ${ours.map((x) => x.toFixed(0)).join(', ')} MB/s; nginx ${peer.map((x) => x.toFixed(0)).join(', ')} MB/s`,
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
