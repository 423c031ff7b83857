// A stored-gzip layer rebuilt on a worker thread (src/delta/frame-worker.ts) is byte for byte the stored gzip release
// create signed, adopted into staging only when both digests match; a damaged base or a chunk past its file's end is a refused rebuild
// with nothing staged, never a wrong layer.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { startRebuild } from '../../src/bundle/rebuild-layer.ts';
import { ChunkLocator, FrameFeed, LayerFramer, PACK_CODEC, encodeLayerIndex, indexLayerTar, packChunks, unpackChunks, type LayerIndex } from '../../src/delta/index.ts';
import type { Digest } from '../../src/oci/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { removeDir, tempDir } from '../helpers/agent.ts';
import { noise, storedBytes, tarLayer as layer } from '../helpers/tar-layers.ts';

const digestOf = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

// Files of up to ~400 KiB: spans cross the 64 KiB stored blocks, and the layer's blob is many blocks long.
const files = Array.from({ length: 30 }, (_, i) => ({ name: `app/f${i}.bin`, data: noise(`file-${i}`, 1000 + i * 13_000) }));
const base = await layer(files);
const target = await layer(files.map((f, i) => (i === 5 ? { ...f, data: Buffer.concat([f.data, Buffer.from('changed')]) } : i === 11 ? { ...f, data: noise('new', 70_000) } : f)));

let dir = '';
const framer = new LayerFramer();
before(async () => {
  dir = await tempDir('skiff-frame-worker');
});
after(async () => {
  await framer.close();
  await removeDir(dir);
});

/** The whole recipe of `ix` framed on a worker into `out`, in one segment. */
async function frameAll(ix: LayerIndex, locator: ChunkLocator, out: string) {
  await locator.prepare();
  const session = framer.open({ tarSize: ix.tarSize, out });
  await new FrameFeed(ix, locator, session, 'layer X').next(true);
  return session.end(true);
}

/** A store holding `base` as a stored-gzip layer and its index; a staging store holding `target`'s recipe and config; the pack. */
async function fixture(name: string, framing = framer) {
  const store = new FsBlobStore(path.join(dir, name, 'store'));
  const staging = new FsBlobStore(path.join(dir, name, 'staging'));
  const baseIx = await indexLayerTar(Readable.from([base]), 16 << 10);
  const baseLayer = (await store.put([await storedBytes(base)])).digest;
  const baseIndex = (await store.put([await encodeLayerIndex(baseIx)])).digest;
  const ix = await indexLayerTar(Readable.from([target]), 16 << 10);
  const recipe = (await staging.put([await encodeLayerIndex(ix)])).digest;
  const config = (await staging.put([Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [ix.diffId] } }))])).digest;
  const baseChunks = new Set(baseIx.chunks.map((c) => c.digest));
  const pack = await buffer(packChunks(Readable.from([target]), ix, new Set(ix.chunks.map((c) => c.digest).filter((d) => !baseChunks.has(d)))));
  const blob = await storedBytes(target);
  const adopted: Digest[] = [];
  const run = async (packBytes: Buffer | AsyncIterable<Uint8Array> = pack) => {
    const { done } = await startRebuild(
      { layer: digestOf(blob), size: blob.length, index: recipe, config, position: 0, pack: Buffer.isBuffer(packBytes) ? Readable.from([packBytes]) : packBytes, codec: PACK_CODEC },
      { store, staging, bases: [{ layer: baseLayer, index: baseIndex }], write: () => Promise.reject(new Error('the stored layer goes through the framer')), framer: framing, adopt: async (d, p) => (await staging.adopt(p, d), void adopted.push(d)) },
    );
    await done;
  };
  return { store, staging, baseLayer, ix, pack, blob, adopted, run };
}

test('the framing worker writes exactly the stored gzip of the rebuilt tar, and reports its diffID and digest', async () => {
  const f = await fixture('exact');
  const work = path.join(dir, 'exact', 'work');
  await mkdir(work, { recursive: true });
  const locator = new ChunkLocator(f.store, work, [{ layer: f.baseLayer, index: digestOf(await encodeLayerIndex(await indexLayerTar(Readable.from([base]), 16 << 10))) }]);
  try {
    const spool = path.join(work, 'pack');
    locator.addPack(spool, (await unpackChunks(Readable.from([f.pack]), new Map(f.ix.chunks.map((c) => [c.digest, c.length])), spool, 'layer X')).at);
    const out = path.join(work, 'out.gz');
    const r = await frameAll(f.ix, locator, out);
    assert.deepEqual(r, { diffId: f.ix.diffId, digest: digestOf(f.blob), size: f.blob.length });
    assert.ok((await readFile(out)).equals(f.blob));
    await truncate(spool, 1000);
    const short = await frameAll(f.ix, locator, out);
    assert.ok('error' in short && short.short, 'a chunk past the end of its file is reported as such');
  } finally {
    await locator.close();
  }
});

test('a stored-gzip layer rebuilt on the worker lands in staging under its signed digest', async () => {
  const f = await fixture('staged');
  await f.run();
  assert.deepEqual(f.adopted, [digestOf(f.blob)]);
  assert.ok((await readFile(f.staging.blobPath(digestOf(f.blob)))).equals(f.blob));
  assert.deepEqual((await readdir(f.staging.paths.root)).filter((n) => n.startsWith('rebuild-')), [], 'the work dir is removed');
});

test('a damaged stored base is a refused rebuild on the worker, and nothing is staged', async () => {
  const f = await fixture('damaged');
  const blobPath = f.store.blobPath(f.baseLayer);
  const good = await readFile(blobPath);
  const bad = Buffer.from(good);
  bad[good.length >> 1] = (bad[good.length >> 1] ?? 0) ^ 0xff;
  await writeFile(blobPath, bad);
  await assert.rejects(f.run(), (e) => isSkiffError(e, 'DIGEST_MISMATCH') && /not its diffID/.test(e.message));
  assert.deepEqual(f.adopted, []);
  assert.equal(await f.staging.has(digestOf(f.blob)), false);
  await writeFile(blobPath, good);
  await f.run();
  assert.deepEqual(f.adopted, [digestOf(f.blob)]);
});

test('a damaged chunk pack is refused while the worker frames from the base: nothing is staged, and the worker frames the next layer', async () => {
  const f = await fixture('bad-pack');
  const bad = Buffer.from(f.pack);
  bad[bad.length >> 1] = (bad[bad.length >> 1] ?? 0) ^ 0xff;
  await assert.rejects(f.run(bad), (e) => isSkiffError(e, 'BUNDLE_INVALID') && /chunks of layer/.test(e.message));
  assert.deepEqual(f.adopted, []);
  assert.equal(await f.staging.has(digestOf(f.blob)), false);
  assert.deepEqual((await readdir(f.staging.paths.root)).filter((n) => n.startsWith('rebuild-')), [], 'the work dir is removed');
  await f.run();
  assert.deepEqual(f.adopted, [digestOf(f.blob)]);
});

test('a bundle cut inside a chunk pack (its worker already framing from the base) stages nothing and frees the worker', async () => {
  const one = new LayerFramer(1);
  try {
    const f = await fixture('cut-pack', one);
    async function* cut() {
      yield f.pack.subarray(0, f.pack.length >> 1);
      throw new Error('unexpected end of data');
    }
    await assert.rejects(f.run(cut()), /unexpected end of data/);
    assert.deepEqual(f.adopted, []);
    assert.deepEqual((await readdir(f.staging.paths.root)).filter((n) => n.startsWith('rebuild-')), [], 'the work dir is removed');
    await f.run();
    assert.deepEqual(f.adopted, [digestOf(f.blob)], 'the only worker was given back');
  } finally {
    await one.close();
  }
});
