// Gzip layers reach `docker load` as the tars the agent inflates while it sends them, sized by the signed release
// (sizes.layerTars): the engine loads the image under its signed ID. A size that is not the tar's fails the archive
// before a byte past it is sent, and the load goes again with the layers as stored; a tar that is not its diffID is
// refused by the engine either way, and leaves no image.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { dockerArchive } from '../../src/agent/docker-archive.ts';
import { imageId, loadVerifiedImages } from '../../src/agent/image-load.ts';
import type { DockerEngine } from '../../src/engine/index.ts';
import { MediaType, type Digest, type ImageManifest } from '../../src/oci/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { ensureEngine, uniqueName } from '../helpers/engine.ts';
import { noise, tarLayer } from '../helpers/tar-layers.ts';
import { tarEntries } from '../bundle/fixture.ts';

const sha = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
/** Gzip as release create writes it: one member per 4 MiB of tar, so the gzip trailer alone does not tell the size. */
const multiMember = (t: Buffer): Buffer => Buffer.concat(Array.from({ length: Math.ceil(t.length / (4 << 20)) }, (_, i) => gzipSync(t.subarray(i * (4 << 20), (i + 1) * (4 << 20)))));

let engine: DockerEngine;
const app = uniqueName('skinf');
const blobs = new Map<Digest, Buffer>();
const open = async (d: Digest): Promise<Readable> => Readable.from([blobs.get(d)!]);
let tars: Buffer[];

/** An image of `tars` as gzip layers, its config naming `diffIds` (the tars' own unless given). */
function image(label: string, diffIds = tars.map(sha)): ImageManifest {
  const layers = tars.map((t) => {
    const gz = multiMember(t);
    blobs.set(sha(gz), gz);
    return { mediaType: MediaType.ociLayerGzip, digest: sha(gz), size: gz.length };
  });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { 'skiff.test': app, which: label } }, rootfs: { type: 'layers', diff_ids: diffIds } }));
  blobs.set(sha(config), config);
  return { config: { mediaType: MediaType.ociConfig, digest: sha(config), size: config.length }, layers };
}

before(async () => {
  engine = await ensureEngine();
  tars = [await tarLayer([{ name: `${app}/a`, data: noise(`${app}-a`, 9 << 20) }]), await tarLayer([{ name: `${app}/b`, data: Buffer.alloc(3 << 20, 7) }])];
});

after(async () => {
  for (const img of await engine.imageList({ label: [`skiff.test=${app}`] })) await engine.imageRemove(img.id, { force: true }).catch(() => undefined);
});

test('gzip layers go as the tars they inflate to, and the engine holds the image under its signed ID', async () => {
  const manifest = image('inflated');
  const tarSizes = tars.map((t) => t.length);
  const archive = await buffer(dockerArchive([{ manifest, tarSizes }], open, { inflate: true }));
  const entries = tarEntries(archive);
  assert.deepEqual(
    entries.filter((e) => e.name.startsWith('layers/')).map((e) => e.size),
    tarSizes,
    'each layer is an entry of its tar size',
  );
  assert.equal(sha(archive.subarray(entries[2]!.data, entries[2]!.data + entries[2]!.size)), sha(tars[0]!), 'the entry is the tar itself');
  await loadVerifiedImages(engine, app, [{ manifest, tarSizes }], open);
  assert.ok(await engine.imageInspect(imageId(manifest.config.digest)));
});

test('a tar size that is not the inflated one fails the archive without a byte past it; the load goes again as stored', async () => {
  const manifest = image('wrong-size');
  const short = [tars[0]!.length - 512, tars[1]!.length];
  const stream = dockerArchive([{ manifest, tarSizes: short }], open, { inflate: true });
  const got: Buffer[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of stream) got.push(c as Buffer);
    })(),
    (e: unknown) => isSkiffError(e, 'SIZE_MISMATCH') && e.message.includes(manifest.layers[0]!.digest),
  );
  assert.ok(Buffer.concat(got).length <= 512 * 4 + short[0]!, 'nothing past the declared size was sent');
  await loadVerifiedImages(engine, app, [{ manifest, tarSizes: short }], open);
  assert.ok(await engine.imageInspect(imageId(manifest.config.digest)), 'loaded with the layers as stored');
});

test('a layer that inflates to other bytes than its diffID is refused by the engine, inflated or stored, and leaves no image', async () => {
  const manifest = image('bad-diffid', [sha(tars[0]!), sha(Buffer.from('not this layer'))]);
  await assert.rejects(loadVerifiedImages(engine, app, [{ manifest, tarSizes: tars.map((t) => t.length) }], open));
  assert.equal(await engine.imageInspect(imageId(manifest.config.digest)), undefined);
});
