// The content index of a layer: chunk boundaries follow content (not offsets or headers), the recipe rebuilds the
// exact tar, and a damaged chunk pack is refused.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, test } from 'node:test';
import tar from 'tar-stream';
import { ChunkLocator, decodeLayerIndex, encodeLayerIndex, indexLayerTar, packChunks, rebuildLayerTar, unpackChunks, type LayerIndex } from '../../src/delta/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { removeDir, tempDir } from '../helpers/agent.ts';
import { noise } from '../helpers/tar-layers.ts';

/** Deterministic incompressible bytes. */
type File = { name: string; data?: Buffer; type?: 'file' | 'directory' | 'symlink'; linkname?: string };

async function layer(files: readonly File[], mtime: Date): Promise<Buffer> {
  const pack = tar.pack();
  const done = buffer(pack);
  for (const f of files)
    await new Promise<void>((resolve, reject) => {
      const cb = (e?: Error | null) => (e ? reject(e) : resolve());
      const header = { name: f.name, mtime, mode: 0o644, type: f.type ?? 'file', ...(f.linkname ? { linkname: f.linkname } : {}) };
      if (f.type && f.type !== 'file') pack.entry(header, cb);
      else pack.entry(header, f.data ?? Buffer.alloc(0), cb);
    });
  pack.finalize();
  return done;
}

const big = noise('big', 700_000);
const files: File[] = [
  { name: 'app', type: 'directory' },
  { name: 'app/big.bin', data: big },
  { name: 'app/empty' },
  { name: 'app/copy-of-small', data: noise('small', 5000) },
  { name: 'app/small', data: noise('small', 5000) },
  { name: `app/${'deep/'.repeat(60)}long-name.txt`, data: Buffer.from('a name longer than a ustar header holds\n') },
  { name: 'app/link', type: 'symlink', linkname: 'small' },
];

let work: string | undefined;
after(() => removeDir(work));

const index = (bytes: Buffer): Promise<LayerIndex> => indexLayerTar(Readable.from([bytes]), 16 << 10);

async function rebuild(bytes: Buffer, dir: string): Promise<Buffer> {
  const ix = await decodeLayerIndex(await encodeLayerIndex(await index(bytes)), 'the test index');
  const pack = await buffer(packChunks(Readable.from([bytes]), ix, new Set(ix.chunks.map((c) => c.digest))));
  const locator = new ChunkLocator(new FsBlobStore(path.join(dir, 'store')), dir, []);
  const spool = path.join(dir, 'pack');
  locator.addPack(spool, (await unpackChunks(Readable.from([pack]), new Map(ix.chunks.map((c) => [c.digest, c.length])), spool, 'the test layer')).at);
  await rebuildLayerTar(ix, locator, path.join(dir, 'out.tar'), 'the test layer');
  await locator.close();
  return readFile(path.join(dir, 'out.tar'));
}

test('the recipe rebuilds the exact tar: pax headers, empty and duplicate files, links, padding and end blocks', async () => {
  work = await tempDir('skiff-delta-index');
  const bytes = await layer(files, new Date('2020-01-01T00:00:00Z'));
  const ix = await index(bytes);
  assert.equal(ix.tarSize, bytes.length);
  assert.equal(ix.diffId, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  assert.ok(ix.chunks.length > 10, `a 700 KB file cuts into many 16 KiB-average chunks (${ix.chunks.length})`);
  assert.deepEqual(await rebuild(bytes, work), bytes);
});

test('other mtimes change no chunk; an edit inside a large file changes only the chunks around it', async () => {
  const a = await index(await layer(files, new Date('2020-01-01T00:00:00Z')));
  const b = await index(await layer(files, new Date('2024-06-01T12:00:00Z')));
  assert.notEqual(a.diffId, b.diffId);
  assert.deepEqual(b.chunks, a.chunks);
  const edited = Buffer.concat([big.subarray(0, 350_000), Buffer.from('inserted bytes'), big.subarray(350_000)]);
  const c = await index(await layer(files.map((f) => (f.name === 'app/big.bin' ? { ...f, data: edited } : f)), new Date('2024-06-01T12:00:00Z')));
  const had = new Set(a.chunks.map((x) => x.digest));
  const fresh = c.chunks.filter((x) => !had.has(x.digest));
  assert.ok(fresh.length >= 1 && fresh.length <= 3, `${fresh.length} new chunks of ${c.chunks.length}`);
});

test('a pack with a damaged chunk, or one the recipe does not name, is refused', async () => {
  const bytes = await layer(files, new Date('2020-01-01T00:00:00Z'));
  const ix = await index(bytes);
  const all = new Set(ix.chunks.map((c) => c.digest));
  const wanted = new Map(ix.chunks.map((c) => [c.digest, c.length]));
  const plain = Buffer.from(await buffer(packChunks(Readable.from([bytes]), ix, all)));
  const { deflateRawSync, inflateRawSync } = await import('node:zlib');
  const raw = inflateRawSync(plain);
  raw[100] = (raw[100] ?? 0) ^ 0xff;
  await assert.rejects(unpackChunks(Readable.from([deflateRawSync(raw)]), wanted, path.join(work!, 'p1'), 'layer X'), (e) => isSkiffError(e, 'BUNDLE_INVALID') && /do not hash/.test(e.message));
  const fewer = new Map([...wanted].slice(1));
  await assert.rejects(unpackChunks(Readable.from([plain]), fewer, path.join(work!, 'p2'), 'layer X'), (e) => isSkiffError(e, 'BUNDLE_INVALID') && /does not name/.test(e.message));
});

test('a recipe that does not rebuild its diffID is refused, and a chunk found nowhere is named', async () => {
  const bytes = await layer(files, new Date('2020-01-01T00:00:00Z'));
  const ix = await index(bytes);
  const literal = Buffer.from(ix.literal);
  literal[10] = (literal[10] ?? 0) ^ 1;
  const wrong = { ...ix, literal };
  const dir = await tempDir('skiff-delta-wrong');
  try {
    const pack = await buffer(packChunks(Readable.from([bytes]), ix, new Set(ix.chunks.map((c) => c.digest))));
    const locator = new ChunkLocator(new FsBlobStore(path.join(dir, 'store')), dir, []);
    const spool = path.join(dir, 'pack');
    locator.addPack(spool, (await unpackChunks(Readable.from([pack]), new Map(ix.chunks.map((c) => [c.digest, c.length])), spool, 'layer X')).at);
    await assert.rejects(rebuildLayerTar(wrong, locator, path.join(dir, 'out.tar'), 'layer X'), (e) => isSkiffError(e, 'DIGEST_MISMATCH') && /not its diffID/.test(e.message));
    await locator.close();
    const empty = new ChunkLocator(new FsBlobStore(path.join(dir, 'store')), dir, []);
    await assert.rejects(rebuildLayerTar(ix, empty, path.join(dir, 'out2.tar'), 'layer X'), (e) => isSkiffError(e, 'BASE_MISSING') && /needs chunk sha256:/.test(e.message));
    await empty.close();
  } finally {
    await removeDir(dir);
  }
});
