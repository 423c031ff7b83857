// The agent's rebuild reads a stored-gzip base layer's chunks in place (no decompression, nothing spooled), any range
// across the framing's block heads, and a damaged or truncated base is a refused rebuild, never a wrong tar.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { StoredGzipSource } from '../../src/delta/chunk-sources.ts';
import { ChunkLocator, encodeLayerIndex, indexLayerTar, packChunks, rebuildLayerTar, unpackChunks, type LayerIndex } from '../../src/delta/index.ts';
import type { Digest } from '../../src/oci/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { removeDir, tempDir } from '../helpers/agent.ts';
import { noise, storedBytes, tarLayer as layer } from '../helpers/tar-layers.ts';


let dir = '';
before(async () => {
  dir = await tempDir('skiff-chunk-sources');
});
after(() => removeDir(dir));

test('a stored-gzip blob gives any range of its tar in place: inside a block, across block heads, up to the end', async () => {
  const tarBytes = noise('ranges', 5 * 65535 + 1234);
  const file = path.join(dir, 'ranges.gz');
  await writeFile(file, await storedBytes(tarBytes));
  const source = new StoredGzipSource(file, tarBytes.length);
  try {
    const ranges: [number, number][] = [[0, 1], [0, 65535], [65534, 2], [65535, 65535], [100, 4 * 65535], [3 * 65535 - 7, 65535 + 14], [0, tarBytes.length], [tarBytes.length - 1, 1], [tarBytes.length - 70000, 70000]];
    for (const [offset, length] of ranges) {
      const into = Buffer.alloc(length + 8, 0xee);
      assert.equal(await source.read(into, 4, offset, length), true, `range ${offset}+${length}`);
      assert.ok(into.subarray(4, 4 + length).equals(tarBytes.subarray(offset, offset + length)), `range ${offset}+${length}`);
      assert.ok(into.subarray(0, 4).equals(Buffer.alloc(4, 0xee)) && into.subarray(4 + length).equals(Buffer.alloc(4, 0xee)), `range ${offset}+${length} writes outside its place`);
    }
    assert.equal(await source.read(Buffer.alloc(10), 0, tarBytes.length - 5, 10), false, 'a range past the end is not whole');
  } finally {
    await source.close();
  }
});

/** A store holding `base` as a stored-gzip layer with its index, and the pack of `target`'s chunks the base lacks. */
async function fixture(name: string, base: Buffer, target: Buffer): Promise<{ store: FsBlobStore; work: string; layer: Digest; ix: LayerIndex; pack: Buffer }> {
  const store = new FsBlobStore(path.join(dir, name, 'store'));
  const baseIx = await indexLayerTar(Readable.from([base]), 16 << 10);
  const layerBlob = await store.put([await storedBytes(base)]);
  await store.put([await encodeLayerIndex(baseIx)]);
  const ix = await indexLayerTar(Readable.from([target]), 16 << 10);
  const baseChunks = new Set(baseIx.chunks.map((c) => c.digest));
  const pack = await buffer(packChunks(Readable.from([target]), ix, new Set(ix.chunks.map((c) => c.digest).filter((d) => !baseChunks.has(d)))));
  const work = path.join(dir, name, 'work');
  await mkdir(work, { recursive: true });
  return { store, work, layer: layerBlob.digest, ix, pack };
}

async function rebuildFrom(f: Awaited<ReturnType<typeof fixture>>, indexDigest: Digest): Promise<Buffer> {
  const locator = new ChunkLocator(f.store, f.work, [{ layer: f.layer, index: indexDigest }]);
  try {
    const spool = path.join(f.work, 'pack');
    locator.addPack(spool, (await unpackChunks(Readable.from([f.pack]), new Map(f.ix.chunks.map((c) => [c.digest, c.length])), spool, 'layer X')).at);
    await rebuildLayerTar(f.ix, locator, path.join(f.work, 'out.tar'), 'layer X');
    return await readFile(path.join(f.work, 'out.tar'));
  } finally {
    await locator.close();
  }
}

const files = Array.from({ length: 40 }, (_, i) => ({ name: `app/f${i}.bin`, data: noise(`file-${i}`, 3000 + i * 9000) }));
const indexDigestOf = async (base: Buffer): Promise<Digest> => `sha256:${createHash('sha256').update(await encodeLayerIndex(await indexLayerTar(Readable.from([base]), 16 << 10))).digest('hex')}` as Digest;

test('a layer rebuilds from a stored-gzip base read in place: the exact tar, and no base decompressed into the work dir', async () => {
  const base = await layer(files);
  const target = await layer(files.map((f, i) => (i === 7 ? { ...f, data: Buffer.concat([f.data, Buffer.from('changed')]) } : f)));
  const f = await fixture('in-place', base, target);
  assert.ok(f.pack.length < target.length / 4, 'the pack carries only what the base lacks');
  assert.ok((await rebuildFrom(f, await indexDigestOf(base))).equals(target));
  assert.deepEqual((await readdir(f.work)).filter((n) => n.startsWith('base-')), [], 'nothing of the base was spooled');
});

test('a damaged stored base is a refused rebuild, never a wrong tar', async () => {
  const base = await layer(files);
  const target = await layer(files.map((f, i) => (i === 3 ? { ...f, data: Buffer.from('small now') } : f)));
  const f = await fixture('damaged', base, target);
  const blob = f.store.blobPath(f.layer);
  const good = await readFile(blob);
  const bad = Buffer.from(good);
  bad[good.length >> 1] = (bad[good.length >> 1] ?? 0) ^ 0xff;
  await writeFile(blob, bad);
  await assert.rejects(rebuildFrom(f, await indexDigestOf(base)), (e) => isSkiffError(e, 'DIGEST_MISMATCH') && /not its diffID/.test(e.message));
  await writeFile(blob, good);
  assert.ok((await rebuildFrom(f, await indexDigestOf(base))).equals(target));
});
