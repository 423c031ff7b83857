// A layer's content index: the chunks of its files' contents (content-defined) and the recipe that rebuilds its exact
// uncompressed tar from header bytes and chunk references. One index per layer, a blob the signed release references.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import { isDigest, type Digest } from '../oci/index.ts';
import { SkiffError } from '../util/index.ts';
import { ContentChunker, chunkParams } from './chunker.ts';
import { TarWalker } from './tar-walk.ts';
import { ByteReader, ByteWriter } from './varint.ts';

export const LAYER_INDEX_MEDIA_TYPE = 'application/vnd.skiff.layer-index.v1';
const MAGIC = Buffer.from('SKIFFLX1');
/** What a decoded index may take in memory: far above the headers and chunk list of a layer of a million files. */
const MAX_DECODED = 512 << 20;
/** Output pieces of 1 MiB, not zlib's 16 KiB: each piece is a round trip through libuv's thread pool (~300 for a base's index). */
const DECODE_CHUNK = 1 << 20;

export interface ChunkRef {
  readonly digest: Digest;
  readonly length: number;
}

export interface LayerIndex {
  /** sha256 of the uncompressed tar. */
  readonly diffId: Digest;
  readonly tarSize: number;
  /** The chunker's average size: the agent cuts nothing, but a writer chunking the layer again must cut alike. */
  readonly average: number;
  /** The recipe: runs of [literal bytes, chunk count], alternating from the literal stream and `chunks`. */
  readonly runs: readonly (readonly [number, number])[];
  /** Every chunk in tar order (a duplicate file's chunks appear again). */
  readonly chunks: readonly ChunkRef[];
  /** Headers, extension records, padding and end blocks, in tar order. */
  readonly literal: Buffer;
}

const digestOf = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

/** Builds the index of an uncompressed layer tar, fed in pieces; `onChunk` also sees each chunk's bytes. */
export class LayerIndexer {
  readonly #whole = createHash('sha256');
  #size = 0;
  readonly #runs: [number, number][] = [];
  readonly #chunks: ChunkRef[] = [];
  readonly #literal: Buffer[] = [];
  readonly #walker: TarWalker;
  readonly #average: number;

  constructor(average: number, onChunk?: (ref: ChunkRef, bytes: Buffer) => void) {
    this.#average = average;
    const chunker = new ContentChunker(chunkParams(average), (bytes) => {
      const ref = { digest: digestOf(bytes), length: bytes.length };
      this.#chunks.push(ref);
      const last = this.#runs.at(-1);
      if (last) last[1]++;
      else this.#runs.push([0, 1]);
      onChunk?.(ref, bytes);
    });
    this.#walker = new TarWalker({
      literal: (bytes) => {
        if (bytes.length === 0) return;
        this.#literal.push(Buffer.from(bytes));
        const last = this.#runs.at(-1);
        if (last && last[1] === 0) last[0] += bytes.length;
        else this.#runs.push([bytes.length, 0]);
      },
      content: (bytes) => chunker.write(bytes),
      contentEnd: () => chunker.end(),
    });
  }

  write(bytes: Buffer): void {
    this.#whole.update(bytes);
    this.#size += bytes.length;
    this.#walker.write(bytes);
  }

  end(): LayerIndex {
    this.#walker.end();
    return { diffId: `sha256:${this.#whole.digest('hex')}` as Digest, tarSize: this.#size, average: this.#average, runs: this.#runs, chunks: this.#chunks, literal: Buffer.concat(this.#literal) };
  }
}

export async function indexLayerTar(tar: AsyncIterable<Buffer>, average: number, onChunk?: (ref: ChunkRef, bytes: Buffer) => void): Promise<LayerIndex> {
  const indexer = new LayerIndexer(average, onChunk);
  for await (const piece of tar) indexer.write(piece);
  return indexer.end();
}

const hex = (d: Digest): Buffer => Buffer.from(d.slice(7), 'hex');

/** The index's bytes: deterministic for the same layer (varints, raw digests, then brotli). */
export async function encodeLayerIndex(index: LayerIndex): Promise<Buffer> {
  const w = new ByteWriter().bytes(MAGIC).bytes(hex(index.diffId)).uint(index.tarSize).uint(index.average).uint(index.runs.length);
  for (const [lit, n] of index.runs) w.uint(lit).uint(n);
  w.uint(index.chunks.length);
  for (const c of index.chunks) w.bytes(hex(c.digest)).uint(c.length);
  w.uint(index.literal.length).bytes(index.literal);
  return promisify(brotliCompress)(w.toBuffer(), { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_LGWIN]: 24 } });
}

/** Parses an index blob; BUNDLE_INVALID naming `what` when it is malformed or its recipe does not add up. */
export async function decodeLayerIndex(bytes: Buffer, what: string): Promise<LayerIndex> {
  const bad = (why: string) => new SkiffError('BUNDLE_INVALID', `${what} is not a valid layer index (${why}): the release or bundle is damaged; ask the vendor for an intact copy`);
  const raw = await promisify(brotliDecompress)(bytes, { maxOutputLength: MAX_DECODED, chunkSize: DECODE_CHUNK }).catch(() => {
    throw bad('it does not decompress');
  });
  const r = new ByteReader(raw, () => bad('it ends early'));
  if (!r.bytes(MAGIC.length).equals(MAGIC)) throw bad('wrong magic');
  const diffId = `sha256:${r.bytes(32).toString('hex')}` as Digest;
  const tarSize = r.uint();
  const average = r.uint();
  const runs: [number, number][] = [];
  for (let i = r.uint(); i > 0; i--) runs.push([r.uint(), r.uint()]);
  const chunks: ChunkRef[] = [];
  for (let i = r.uint(); i > 0; i--) chunks.push({ digest: `sha256:${r.bytes(32).toString('hex')}` as Digest, length: r.uint() });
  const literal = r.bytes(r.uint());
  if (!r.done) throw bad('trailing bytes');
  if (!isDigest(diffId)) throw bad('diffID');
  const lit = runs.reduce((n, [l]) => n + l, 0);
  const count = runs.reduce((n, [, c]) => n + c, 0);
  if (lit !== literal.length || count !== chunks.length) throw bad('its recipe does not match its headers and chunks');
  if (lit + chunks.reduce((n, c) => n + c.length, 0) !== tarSize) throw bad('its recipe does not add up to the tar size');
  return { diffId, tarSize, average, runs, chunks, literal };
}

/** Where each chunk sits in the uncompressed tar (first occurrence of each digest). */
export function chunkOffsets(index: LayerIndex): Map<Digest, { offset: number; length: number }> {
  const at = new Map<Digest, { offset: number; length: number }>();
  let offset = 0;
  let next = 0;
  for (const [lit, n] of index.runs) {
    offset += lit;
    for (let i = 0; i < n; i++) {
      const c = index.chunks[next++]!;
      if (!at.has(c.digest)) at.set(c.digest, { offset, length: c.length });
      offset += c.length;
    }
  }
  return at;
}
