// Rebuilds a layer's exact uncompressed tar from its recipe: header bytes from the index, each chunk from the bundle's
// pack or from a base layer the agent already holds (mapped once per install, base-chunks.ts: a stored-gzip base read
// in place, a gzip -6 one decompressed once). Chunks next to each other in a source are read together in large reads,
// several ahead, and the tar comes out in large pieces, hashed once: the result must hash to the layer's diffID;
// anything else is a refused install, never an image.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Digest } from '../oci/index.ts';
import type { FsBlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import { BaseChunkMap, type BaseLayer, type BaseMaps, type Located } from './base-chunks.ts';
import { PlainFileSource, type ChunkSource } from './chunk-sources.ts';
import type { FrameSession } from './frame-worker.ts';
import type { ChunkRef, LayerIndex } from './layer-index.ts';

const WRITE_BATCH = 4 << 20;
/** One read covers chunks of one source up to this far apart (the header bytes between files are read and dropped). */
const SPAN_GAP = 64 << 10;
const SPAN_MAX = 4 << 20;
/** A framing worker's segments are at most about this long (of tar): between them it turns its event loop (see frame-worker.ts). */
const SEGMENT_MAX = 8 << 20;
/** Reads in flight ahead of the consumer: the disk (or page cache) works while the tar is hashed and framed. */
const READ_AHEAD = 4;

/**
 * Finds chunks in the base layers (`bases`, mapped once per install, or here when not given) and in unpacked packs; one per
 * layer, in `workDir`. A chunk a stored-gzip base holds is read there in place, else from the pack, else from a gzip -6
 * base (decompressed once: the most costly source, so used only once the pack is known to lack the chunk).
 */
export class ChunkLocator {
  readonly #bases: BaseChunkMap;
  readonly #ownsBases: boolean;
  #maps: BaseMaps | undefined;
  readonly #pack = new Map<Digest, Located>();
  readonly #packSources = new Map<string, ChunkSource>();

  constructor(store: FsBlobStore, workDir: string, bases: readonly BaseLayer[] | BaseChunkMap) {
    this.#ownsBases = !(bases instanceof BaseChunkMap);
    this.#bases = bases instanceof BaseChunkMap ? bases : new BaseChunkMap(store, bases, workDir);
  }

  /** Adds chunks of a pack unpacked (so far) into `spool`. */
  addPack(spool: string, at: Iterable<[Digest, { offset: number; length: number }]>): void {
    let source = this.#packSources.get(spool);
    if (!source) this.#packSources.set(spool, (source = new PlainFileSource(spool)));
    for (const [d, loc] of at) this.#pack.set(d, { source, ...loc });
  }

  /** Maps the bases' chunks now (decoding their indexes): a caller starts it while it unpacks a pack, not after. */
  async prepare(): Promise<void> {
    this.#maps ??= await this.#bases.ready();
  }

  /** Where `ref` is, after prepare(); undefined when it is nowhere yet (`complete`: every pack is added, nowhere at all). */
  find(ref: ChunkRef, complete: boolean): Located | undefined {
    if (!this.#maps) throw new Error('ChunkLocator.find before prepare');
    const fits = (loc: Located | undefined) => (loc?.length === ref.length ? loc : undefined);
    return fits(this.#maps.stored.get(ref.digest)) ?? fits(this.#pack.get(ref.digest)) ?? (complete ? fits(this.#maps.spooled.get(ref.digest)) : undefined);
  }

  /** Where each chunk of `index` is, in recipe order; BASE_MISSING naming `what` for the first that is nowhere. */
  async locate(index: LayerIndex, what: string): Promise<Located[]> {
    await this.prepare();
    return index.chunks.map((ref) => this.find(ref, true) ?? baseMissing(what, ref));
  }

  /** Closes the packs' files, and the bases' when this locator mapped them itself. */
  async close(): Promise<void> {
    for (const s of this.#packSources.values()) await s.close();
    this.#packSources.clear();
    if (this.#ownsBases) await this.#bases.close();
  }
}

function baseMissing(what: string, ref: ChunkRef): never {
  throw new SkiffError('BASE_MISSING', `${what} needs chunk ${ref.digest}, which neither the bundle nor the base release holds: install the base release the bundle names, or use a full bundle`);
}

interface Span {
  readonly source: ChunkSource;
  readonly start: number;
  end: number;
}

/** Literal bytes, or `length` bytes at `at` in span `span`'s buffer. */
type Piece = Buffer | { readonly span: number; readonly at: number; readonly length: number };

/** Walks a recipe: pieces over few large reads, as far as its chunks can be found (a pack may still be unpacking). */
class RecipeCursor {
  readonly #index: LayerIndex;
  #run = 0;
  #litDone = false;
  #inRun = 0;
  #lit = 0;
  #chunk = 0;

  constructor(index: LayerIndex) {
    this.#index = index;
  }

  /** The chunk the cursor stopped at, undefined at the recipe's end. */
  get stoppedAt(): ChunkRef | undefined {
    return this.#run < this.#index.runs.length ? this.#index.chunks[this.#chunk] : undefined;
  }

  /**
   * The pieces from here to the end, or up to the first chunk `find` does not know (the cursor stops there), or once
   * they hold `limit` bytes.
   */
  plan(find: (ref: ChunkRef, position: number) => Located | undefined, limit = Infinity): { spans: Span[]; pieces: Piece[] } {
    const { runs, literal, chunks } = this.#index;
    const spans: Span[] = [];
    const pieces: Piece[] = [];
    let bytes = 0;
    for (; this.#run < runs.length; this.#run++, this.#litDone = false, this.#inRun = 0) {
      const [litLength, n] = runs[this.#run]!;
      if (!this.#litDone) {
        if (litLength > 0) pieces.push(literal.subarray(this.#lit, this.#lit + litLength));
        this.#lit += litLength;
        bytes += litLength;
        this.#litDone = true;
      }
      for (; this.#inRun < n; this.#inRun++) {
        const loc = bytes < limit ? find(chunks[this.#chunk]!, this.#chunk) : undefined;
        if (!loc) return { spans, pieces };
        bytes += loc.length;
        this.#chunk++;
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
}

/** The whole recipe as pieces over few large reads. */
function planReads(index: LayerIndex, located: readonly Located[]): { spans: Span[]; pieces: Piece[] } {
  return new RecipeCursor(index).plan((_, position) => located[position]);
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

/**
 * Feeds the recipe of `index` to a framing worker (frame-worker.ts) as far as its chunks are found, starting once the
 * bases are mapped: call `next()` each time chunks are added to `chunks` (it need not be awaited: calls run in turn),
 * and `next(true)` once every pack is in; that rejects with the first failure, BASE_MISSING naming `what` for a chunk
 * that is nowhere.
 */
export class FrameFeed {
  readonly #index: LayerIndex;
  readonly #chunks: ChunkLocator;
  readonly #session: FrameSession;
  readonly #what: string;
  readonly #cursor: RecipeCursor;
  readonly #sources: ChunkSource[] = [];
  readonly #files: { path: string; storedTarSize: number | null }[] = [];
  #queue: Promise<void>;

  constructor(index: LayerIndex, chunks: ChunkLocator, session: FrameSession, what: string) {
    this.#index = index;
    this.#chunks = chunks;
    this.#session = session;
    this.#what = what;
    this.#cursor = new RecipeCursor(index);
    this.#queue = chunks.prepare();
    this.#queue.catch(() => undefined);
  }

  next(complete = false): Promise<void> {
    this.#queue = this.#queue.then(() => this.#send(complete));
    this.#queue.catch(() => undefined);
    return this.#queue;
  }

  /** Settles when no call of next() is under way (whatever came of them). */
  async idle(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  async #send(complete: boolean): Promise<void> {
    for (;;) {
      const { spans, pieces } = this.#cursor.plan((ref) => this.#chunks.find(ref, complete), SEGMENT_MAX);
      if (pieces.length === 0) break;
      await this.#segment(spans, pieces);
    }
    const stopped = this.#cursor.stoppedAt;
    if (complete && stopped) baseMissing(this.#what, stopped);
  }

  async #segment(spans: readonly Span[], pieces: readonly Piece[]): Promise<void> {
    const spanTriples = new Float64Array(spans.length * 3);
    for (const [i, s] of spans.entries()) {
      let k = this.#sources.indexOf(s.source);
      if (k < 0) {
        this.#files.push(await s.source.file());
        k = this.#sources.push(s.source) - 1;
      }
      spanTriples.set([k, s.start, s.end], 3 * i);
    }
    // A copy of this segment's literal bytes alone: a view would send the whole recipe buffer under it.
    const literals = pieces.filter((p) => Buffer.isBuffer(p));
    const from = literals.length > 0 ? literals[0]!.byteOffset : 0;
    const to = literals.length > 0 ? literals.at(-1)!.byteOffset + literals.at(-1)!.length : 0;
    const pieceTriples = new Float64Array(pieces.length * 3);
    pieces.forEach((p, i) => pieceTriples.set(Buffer.isBuffer(p) ? [-1, p.byteOffset - from, p.length] : [p.span, p.at, p.length], 3 * i));
    const base = this.#index.literal.byteOffset;
    this.#session.send({ sources: [...this.#files], spans: spanTriples, pieces: pieceTriples, literal: new Uint8Array(this.#index.literal.subarray(from - base, to - base)) });
  }
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
