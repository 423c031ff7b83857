// Chunk packs name their codec in bundle.json: new packs are raw deflate (faster for the agent to decompress), packs of
// bundles made before are brotli and still read; a pack read with another codec than its own is a refused bundle.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { indexLayerTar, packChunks, unpackChunks, type PackCodec } from '../../src/delta/index.ts';
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
