// Layers reach `docker load` as uncompressed tars the agent gunzipped and checked against the signed config's diffIDs;
// a layer that does not uncompress to its diffID is refused, and no tar is left behind either way.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { dockerArchive } from '../../src/agent/docker-archive.ts';
import { decompressLayers } from '../../src/agent/layer-tars.ts';
import { MediaType, type Digest, type ImageManifest } from '../../src/oci/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { removeDir, tempDir } from '../helpers/agent.ts';

const sha = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

let dir: string;
before(async () => {
  dir = await tempDir('skiff-layer-tars');
});
after(async () => {
  await removeDir(dir);
});

const tars = [Buffer.alloc(3072, 1), Buffer.alloc(10_240, 2)];
const blobs = new Map<Digest, Buffer>();
const layers = tars.map((t) => {
  const gz = gzipSync(t);
  blobs.set(sha(gz), gz);
  return { mediaType: MediaType.ociLayerGzip, digest: sha(gz), size: gz.length };
});
const config = Buffer.from('{}');
blobs.set(sha(config), config);
const manifest: ImageManifest = { config: { mediaType: MediaType.ociConfig, digest: sha(config), size: config.length }, layers };
const open = async (d: Digest): Promise<Readable> => Readable.from([blobs.get(d)!]);

test('each gzip layer becomes its uncompressed tar, checked against its diffID, and the archive carries the tars', async () => {
  const { tars: made, remove } = await decompressLayers([{ manifest, diffIds: tars.map(sha) }], open, dir);
  try {
    assert.deepEqual(
      layers.map((l) => made.get(l.digest)?.size),
      tars.map((t) => t.length),
    );
    assert.deepEqual(await buffer(made.get(layers[1]!.digest)!.open()), tars[1]);
    const archive = await buffer(dockerArchive([{ manifest }], open, undefined, made));
    const manifestJson = JSON.parse(archive.toString('utf8', 512, 512 + parseInt(archive.toString('utf8', 124, 136), 8))) as { Layers: string[] }[];
    assert.deepEqual(
      manifestJson[0]!.Layers,
      layers.map((l) => `layers/${l.digest.slice(7)}.tar`),
    );
    assert.ok(archive.includes(tars[1]!), 'the uncompressed bytes are in the archive');
  } finally {
    await remove();
  }
  assert.deepEqual(await readdir(dir), [], 'the tars are removed');
});

test('a layer that does not uncompress to its diffID is refused, and nothing is left behind', async () => {
  await assert.rejects(decompressLayers([{ manifest, diffIds: [sha(tars[0]!), sha(Buffer.from('other'))] }], open, dir), (e: unknown) => isSkiffError(e, 'DIGEST_MISMATCH') && /not the diffID/.test(e.message));
  assert.deepEqual(await readdir(dir), []);
});

test('layers below skipLayers (the engine holds them) are not uncompressed', async () => {
  const { tars: made, remove } = await decompressLayers([{ manifest, diffIds: tars.map(sha), skipLayers: 1 }], open, dir);
  assert.deepEqual([...made.keys()], [layers[1]!.digest]);
  await remove();
});
