// Rebuilds a layer's exact uncompressed tar from its recipe: header bytes from the index, each chunk from the bundle's
// pack or from a base layer the agent already holds (a stored-gzip base read in place, a gzip -6 one decompressed once
// into its work dir). Chunks next to each other in a source are read together in large reads, several ahead, and
// the tar comes out in large pieces, hashed once: the result must hash to the layer's diffID; anything else is a
// refused install, never an image.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { buffer } from 'node:stream/consumers';
import { storedGzipSize, type Digest } from '../oci/index.ts';
import type { FsBlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import { PlainFileSource, StoredGzipSource, type ChunkSource } from './chunk-sources.ts';
import type { FrameJob } from './frame-worker.ts';
import { chunkOffsets, decodeLayerIndex, type LayerIndex } from './layer-index.ts';

const WRITE_BATCH = 4 << 20;
/** One read covers chunks of one source up to this far apart (the header bytes between files are read and dropped). */
const SPAN_GAP = 64 << 10;
const SPAN_MAX = 4 << 20;
/** Reads in flight ahead of the consumer: the disk (or page cache) works while the tar is hashed and framed. */
const READ_AHEAD = 4;

/** A base layer the agent holds and the index of its content. */
export interface BaseLayer {
  readonly layer: Digest;
  readonly index: Digest;
}

interface Located {
  readonly source: ChunkSource;
  readonly offset: number;
  readonly length: number;
}

interface BaseChunks {
  readonly tarSize: number;
  readonly offsets: ReadonlyMap<Digest, { offset: number; length: number }>;
}

/** Decoded base indexes by index digest, shared by the locators of one install: each is decoded once, not once per layer. */
export type BaseIndexCache = Map<Digest, Promise<BaseChunks>>;

function baseChunks(store: FsBlobStore, base: BaseLayer, cache: BaseIndexCache): Promise<BaseChunks> {
  let p = cache.get(base.index);
  if (!p) {
    p = (async () => {
      const index = await decodeLayerIndex(await buffer(await store.get(base.index)), `the index of base layer ${base.layer}`);
      return { tarSize: index.tarSize, offsets: chunkOffsets(index) };
    })();
    cache.set(base.index, p);
    p.catch(() => cache.delete(base.index));
  }
  return p;
}

/** Finds chunks in base layers (read lazily from `store`) and in unpacked packs; one per install, in `workDir`. */
export class ChunkLocator {
  readonly #store: FsBlobStore;
  readonly #workDir: string;
  readonly #bases: readonly BaseLayer[];
  #map: Map<Digest, Located> | undefined;
  readonly #sources: ChunkSource[] = [];
  readonly #cache: BaseIndexCache;

  constructor(store: FsBlobStore, workDir: string, bases: readonly BaseLayer[], cache: BaseIndexCache = new Map()) {
    this.#store = store;
    this.#workDir = workDir;
    this.#bases = bases;
    this.#cache = cache;
  }

  /** Adds the chunks of a pack unpacked into `spool`; the pack's copy of a chunk wins over a base's. */
  async addPack(spool: string, at: ReadonlyMap<Digest, { offset: number; length: number }>): Promise<void> {
    const map = await this.#baseMap();
    const source = this.#add(new PlainFileSource(spool));
    for (const [d, loc] of at) map.set(d, { source, ...loc });
  }

  /** Maps the bases' chunks now (decoding their indexes): a caller starts it while it unpacks a pack, not after. */
  async prepare(): Promise<void> {
    await this.#baseMap();
  }

  /** Where each chunk of `index` is, in recipe order; BASE_MISSING naming `what` for the first that is nowhere. */
  async locate(index: LayerIndex, what: string): Promise<Located[]> {
    const map = await this.#baseMap();
    return index.chunks.map((ref) => {
      const loc = map.get(ref.digest);
      if (!loc || loc.length !== ref.length)
        throw new SkiffError('BASE_MISSING', `${what} needs chunk ${ref.digest}, which neither the bundle nor the base release holds: install the base release the bundle names, or use a full bundle`);
      return loc;
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sources) await s.close();
  }

  #add<S extends ChunkSource>(source: S): S {
    this.#sources.push(source);
    return source;
  }

  /** Stored-gzip bases first: a chunk several bases hold is then read in place rather than after decompression. */
  async #baseMap(): Promise<Map<Digest, Located>> {
    if (this.#map) return this.#map;
    const found = [];
    for (const base of this.#bases) {
      const { tarSize, offsets } = await baseChunks(this.#store, base, this.#cache);
      const stored = (await this.#store.stat(base.layer))?.size === storedGzipSize(tarSize);
      found.push({ base, tarSize, offsets, stored });
    }
    const map = new Map<Digest, Located>();
    for (const { base, tarSize, offsets, stored } of found.sort((a, b) => Number(b.stored) - Number(a.stored))) {
      let source: ChunkSource | undefined;
      for (const [d, loc] of offsets) {
        if (map.has(d)) continue;
        source ??= this.#add(stored ? new StoredGzipSource(this.#store.blobPath(base.layer), tarSize) : this.#spooled(base.layer));
        map.set(d, { source, offset: loc.offset, length: loc.length });
      }
    }
    this.#map = map;
    return map;
  }

  #spooled(layer: Digest): ChunkSource {
    const path = join(this.#workDir, `base-${layer.slice(7)}.tar`);
    return new PlainFileSource(path, async () => {
      await pipeline(await this.#store.get(layer), createGunzip({ chunkSize: 1 << 20 }), createWriteStream(path, { highWaterMark: 1 << 20 }));
    });
  }
}

interface Span {
  readonly source: ChunkSource;
  readonly start: number;
  end: number;
}

/** Literal bytes, or `length` bytes at `at` in span `span`'s buffer. */
type Piece = Buffer | { readonly span: number; readonly at: number; readonly length: number };

/** The recipe as pieces over few large reads. */
function planReads(index: LayerIndex, located: readonly Located[]): { spans: Span[]; pieces: Piece[] } {
  const spans: Span[] = [];
  const pieces: Piece[] = [];
  let lit = 0;
  let next = 0;
  for (const [litLength, n] of index.runs) {
    if (litLength > 0) pieces.push(index.literal.subarray(lit, lit + litLength));
    lit += litLength;
    for (let i = 0; i < n; i++) {
      const loc = located[next++]!;
      const end = loc.offset + loc.length;
      let span = spans.at(-1);
      const inside = span && span.source === loc.source && loc.offset >= span.start && end <= span.end;
      const extends_ = span && span.source === loc.source && loc.offset >= span.end && loc.offset - span.end <= SPAN_GAP && end - span.start <= SPAN_MAX;
      if (!inside && !extends_) spans.push((span = { source: loc.source, start: loc.offset, end }));
      else if (extends_) span!.end = end;
      pieces.push({ span: spans.length - 1, at: loc.offset - span!.start, length: loc.length });
    }
  }
  return { spans, pieces };
}

/**
 * The tar `index` describes, piece by piece (header bytes and chunks); BASE_MISSING (before any piece) when a chunk is nowhere, and
 * after the last piece DIGEST_MISMATCH when the whole is not the diffID: a consumer keeps nothing until the end came clean.
 * `transient`: a piece is valid only until the next is asked for.
 */
export async function* rebuildLayerPieces(index: LayerIndex, chunks: ChunkLocator, what: string, options: { transient?: boolean } = {}): AsyncGenerator<Buffer> {
  const { spans, pieces } = planReads(index, await chunks.locate(index, what));
  const reads = new Map<number, Promise<Buffer>>();
  // With `transient` (the consumer copies each piece before it asks for the next), read buffers are reused: fresh
  // large buffers cost a page fault per 4 KiB and, as external memory, full garbage collections.
  const free: Buffer[] = [];
  const readSpan = (i: number): Promise<Buffer> => {
    const s = spans[i]!;
    const size = s.end - s.start;
    const b = (options.transient && size <= SPAN_MAX ? (free.pop() ?? Buffer.allocUnsafe(SPAN_MAX)) : Buffer.allocUnsafe(size)).subarray(0, size);
    return s.source.read(b, 0, s.start, size).then((whole) => {
      if (!whole) throw new SkiffError('DIGEST_MISMATCH', `${what} reads past the end of a base layer or of its chunk pack: the bundle or the base is damaged; nothing was installed`);
      return b;
    });
  };
  let ahead = 0;
  const spanBuffer = (i: number): Promise<Buffer> => {
    for (; ahead < Math.min(spans.length, i + 1 + READ_AHEAD); ahead++) {
      const p = readSpan(ahead);
      p.catch(() => undefined);
      reads.set(ahead, p);
    }
    return reads.get(i)!;
  };
  // Pieces go out as they are (slices of the reads and of the recipe's literal bytes): the consumer copies them once.
  const whole = createHash('sha256');
  let current = -1;
  let currentBuffer: Buffer | undefined;
  for (const p of pieces) {
    let bytes: Buffer;
    if (Buffer.isBuffer(p)) bytes = p;
    else {
      if (p.span !== current) {
        if (options.transient && currentBuffer && currentBuffer.buffer.byteLength === SPAN_MAX && currentBuffer.byteOffset === 0) free.push(Buffer.from(currentBuffer.buffer, 0, SPAN_MAX));
        reads.delete(current);
        current = p.span;
        currentBuffer = await spanBuffer(current);
      }
      bytes = currentBuffer!.subarray(p.at, p.at + p.length);
    }
    whole.update(bytes);
    yield bytes;
  }
  const got = `sha256:${whole.digest('hex')}`;
  if (got !== index.diffId)
    throw new SkiffError('DIGEST_MISMATCH', `${what} rebuilt from its recipe hashes to ${got}, not its diffID ${index.diffId}: the bundle or the base is damaged; nothing was installed`);
}

/** The recipe of `index` as a job for a framing worker (frame-worker.ts) writing the stored gzip to `out`; BASE_MISSING as above. */
export async function planFrameJob(index: LayerIndex, chunks: ChunkLocator, what: string, out: string): Promise<FrameJob> {
  const { spans, pieces } = planReads(index, await chunks.locate(index, what));
  const sources: ChunkSource[] = [];
  const spanTriples = new Float64Array(spans.length * 3);
  spans.forEach((s, i) => {
    let k = sources.indexOf(s.source);
    if (k < 0) k = sources.push(s.source) - 1;
    spanTriples.set([k, s.start, s.end], 3 * i);
  });
  const pieceTriples = new Float64Array(pieces.length * 3);
  pieces.forEach((p, i) => pieceTriples.set(Buffer.isBuffer(p) ? [-1, p.byteOffset - index.literal.byteOffset, p.length] : [p.span, p.at, p.length], 3 * i));
  // A copy of the literal bytes alone: a view would send the whole recipe buffer under it.
  return { sources: await Promise.all(sources.map((s) => s.file())), spans: spanTriples, pieces: pieceTriples, literal: new Uint8Array(index.literal), tarSize: index.tarSize, out };
}

/** Writes the tar `index` describes to `out`; DIGEST_MISMATCH when a chunk is missing or the result is not the diffID. */
export async function rebuildLayerTar(index: LayerIndex, chunks: ChunkLocator, out: string, what: string): Promise<void> {
  const fh = await open(out, 'w');
  try {
    let pos = 0;
    // Pieces are gathered into large writes: a write per 32 KiB chunk costs more than the copy.
    let batch: Buffer[] = [];
    let batched = 0;
    const flush = async () => {
      if (batched === 0) return;
      await fh.writev(batch, pos);
      pos += batched;
      batch = [];
      batched = 0;
    };
    for await (const b of rebuildLayerPieces(index, chunks, what)) {
      batch.push(b);
      batched += b.length;
      if (batched >= WRITE_BATCH) await flush();
    }
    await flush();
  } finally {
    await fh.close();
  }
}
