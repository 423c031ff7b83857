// Chunk packs name their codec in bundle.json: new packs are raw deflate (faster for the agent to decompress), packs of
// bundles made before are brotli and still read; a pack read with another codec than its own is a refused bundle.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { indexLayerTar, packChunks, unpackChunks, type PackCodec } from '../../src/delta/index.ts';
import { PackRecords } from '../../src/delta/pack.ts';
import { BUNDLE_SCHEMA, BundleIndexSchema } from '../../src/bundle/format.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { removeDir, tempDir } from '../helpers/agent.ts';

const noise = (seed: string, length: number): Buffer => {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < length; i++) parts.push(createHash('sha256').update(`${seed}-${i}`).digest());
  return Buffer.concat(parts).subarray(0, length);
};
// Text-like bytes (compressible) and noise: what a layer's files are.
const layerTar = Buffer.concat([Buffer.from('const x = 1;\n'.repeat(20_000)), noise('pack', 300_000)]);

let dir = '';
before(async () => {
  dir = await tempDir('skiff-pack-codec');
});
after(() => removeDir(dir));

async function packOf(codec: PackCodec) {
  const ix = await indexLayerTar(Readable.from([layerTar]), 16 << 10);
  const pack = await buffer(packChunks(Readable.from([layerTar]), ix, new Set(ix.chunks.map((c) => c.digest)), codec));
  return { ix, pack, wanted: new Map(ix.chunks.map((c) => [c.digest, c.length])) };
}

for (const codec of ['deflate', 'brotli'] as const)
  test(`a ${codec} pack unpacks to every chunk it carries`, async () => {
    const { ix, pack, wanted } = await packOf(codec);
    assert.ok(pack.length < layerTar.length, 'the pack is compressed');
    const spool = path.join(dir, `${codec}.spool`);
    const { at } = await unpackChunks(Readable.from([pack]), wanted, spool, 'layer X', codec);
    const bytes = await readFile(spool);
    for (const c of ix.chunks) {
      const loc = at.get(c.digest)!;
      assert.equal(`sha256:${createHash('sha256').update(bytes.subarray(loc.offset, loc.offset + loc.length)).digest('hex')}`, c.digest);
    }
  });

test('a pack read with another codec than the one it was made with is BUNDLE_INVALID', async () => {
  for (const [made, read] of [['deflate', 'brotli'], ['brotli', 'deflate']] as const) {
    const { pack, wanted } = await packOf(made);
    await assert.rejects(unpackChunks(Readable.from([pack]), wanted, path.join(dir, 'wrong.spool'), 'layer X', read), (e) => isSkiffError(e, 'BUNDLE_INVALID') && /chunks of layer X/.test(e.message));
  }
});

test('bundle.json names a pack codec of brotli or deflate, or none (a bundle made before: brotli); any other is refused', () => {
  const index = (codec?: string) => ({ schema: BUNDLE_SCHEMA, app: 'a', version: '1', releaseDigest: `sha256:${'a'.repeat(64)}`, blobs: [], includedBytes: 0, omittedBytes: 0, packs: [{ layer: `sha256:${'b'.repeat(64)}`, digest: `sha256:${'c'.repeat(64)}`, size: 1, ...(codec ? { codec } : {}) }] });
  for (const codec of [undefined, 'brotli', 'deflate']) assert.equal(BundleIndexSchema.safeParse(index(codec)).success, true, String(codec));
  assert.equal(BundleIndexSchema.safeParse(index('zstd')).success, false);
});

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}` as const;
/** A pack's plain bytes: records [sha256, length (4 bytes BE), bytes]. */
const records = (bodies: Buffer[]) => Buffer.concat(bodies.flatMap((b) => [Buffer.from(sha(b).slice(7), 'hex'), Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (8 * (3 - i))) & 0xff)), b]));

test('records split across decompressed pieces at every boundary come out whole, their bytes never copied', () => {
  const bodies = [noise('r1', 50), Buffer.from('x'), noise('r3', 70)];
  const plain = records(bodies);
  const cut = (at: number[]) => {
    const seen: Buffer[] = [];
    const reader = new PackRecords(() => undefined);
    const pieces = [0, ...at, plain.length].slice(1).map((end, i, ends) => plain.subarray(i === 0 ? 0 : ends[i - 1], end));
    for (const piece of pieces)
      for (const r of reader.push(piece)) {
        for (const p of r.parts) assert.equal(p.buffer, plain.buffer, 'a view of the pieces, not a copy');
        assert.equal(sha(Buffer.concat(r.parts)), r.digest);
        assert.equal(r.length, Buffer.concat(r.parts).length);
        seen.push(Buffer.concat(r.parts));
      }
    assert.ok(reader.atBoundary);
    assert.deepEqual(seen, bodies, `cut at ${at.join(', ')}`);
  };
  for (let i = 0; i <= plain.length; i++) cut([i]);
  for (let i = 0; i <= plain.length; i += 7) for (let j = i; j <= plain.length; j += 5) cut([i, j]);
  cut([...plain.keys()]);
});

test('a pack larger than one decompressed piece unpacks, its records straddling the pieces', async () => {
  const big = Buffer.concat([noise('big', 3 << 20), Buffer.from('abc\n'.repeat(200_000))]);
  const ix = await indexLayerTar(Readable.from([big]), 16 << 10);
  const pack = await buffer(packChunks(Readable.from([big]), ix, new Set(ix.chunks.map((c) => c.digest))));
  const spool = path.join(dir, 'big.spool');
  const { at } = await unpackChunks(Readable.from([pack]), new Map(ix.chunks.map((c) => [c.digest, c.length])), spool, 'layer X');
  const bytes = await readFile(spool);
  assert.equal(at.size, new Set(ix.chunks.map((c) => c.digest)).size);
  for (const [digest, loc] of at) assert.equal(sha(bytes.subarray(loc.offset, loc.offset + loc.length)), digest);
});

test('a cut pack is BUNDLE_INVALID (cut inside its compressed stream, or its records cut inside one)', async () => {
  const { pack, wanted } = await packOf('deflate');
  const refused = async (bytes: Buffer, why: RegExp, names = wanted) => {
    const spool = path.join(dir, 'cut.spool');
    await assert.rejects(unpackChunks(Readable.from([bytes]), names, spool, 'layer X'), (e) => isSkiffError(e, 'BUNDLE_INVALID') && /chunks of layer X/.test(e.message) && why.test(e.message));
  };
  for (const at of [1, pack.length >> 1, pack.length - 1]) await refused(pack.subarray(0, at), /decompress|end inside a record/);
  const bodies = [noise('c1', 5000), noise('c2', 7000)];
  const plain = records(bodies);
  const two = new Map(bodies.map((b) => [sha(b), b.length]));
  for (const at of [10, 36, 40, 5036 + 36, plain.length - 1]) await refused(deflateRawSync(plain.subarray(0, at)), /end inside a record/, two);
  const { at } = await unpackChunks(Readable.from([deflateRawSync(plain)]), two, path.join(dir, 'whole.spool'), 'layer X');
  assert.equal(at.size, 2);
  assert.equal((await stat(path.join(dir, 'whole.spool'))).size, 12_000);
});
