// A chunk pack: the chunks of one layer that a delta's base lacks, as records [sha256 (32 bytes), length (4 bytes BE),
// bytes], compressed with the codec bundle.json names (raw deflate; brotli in bundles made before it, and when absent). The writer streams it from the layer; the reader checks every record against its digest
// and against the chunks the signed recipe names before a byte of it is used.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createBrotliCompress, createBrotliDecompress, createDeflateRaw, createInflateRaw, constants } from 'node:zlib';
import type { Digest } from '../oci/index.ts';
import { SkiffError } from '../util/index.ts';
import { LayerIndexer, type LayerIndex } from './layer-index.ts';

const RECORD_HEAD = 36;

/**
 * How a pack's records are compressed. Deflate: the agent inflates the netapp 1.0.0→2.0.0 pack (71 MB of chunks) in
 * ~0.23 s of CPU against brotli's ~0.37–0.47 s, for a pack ~20 % larger (35.0 against 28.8 MB): the pack's
 * decompression comes before its layer's rebuild can start, so it is the rebuild's critical path.
 */
export type PackCodec = 'brotli' | 'deflate';
export const PACK_CODEC: PackCodec = 'deflate';
const WRITE_BATCH = 4 << 20;

/**
 * The pack of `layerTar` (the uncompressed layer `index` describes) holding the chunks in `needed`, each once, in tar
 * order. One write per record into the compressor, so the same input always compresses to the same bytes.
 */
export function packChunks(layerTar: AsyncIterable<Buffer>, index: LayerIndex, needed: ReadonlySet<Digest>, codec: PackCodec = PACK_CODEC): Readable {
  async function* records(): AsyncGenerator<Buffer> {
    const left = new Set(needed);
    const out: Buffer[] = [];
    const indexer = new LayerIndexer(index.average, (ref, bytes) => {
      if (!left.delete(ref.digest)) return;
      const head = Buffer.alloc(RECORD_HEAD);
      head.write(ref.digest.slice(7), 'hex');
      head.writeUInt32BE(bytes.length, 32);
      out.push(head, bytes);
    });
    for await (const piece of layerTar) {
      indexer.write(piece);
      yield* out.splice(0);
    }
    const again = indexer.end();
    yield* out.splice(0);
    if (again.diffId !== index.diffId || left.size > 0)
      throw new SkiffError('DIGEST_MISMATCH', `layer ${index.diffId} in the store does not chunk as its index says: the store is damaged; create the release again`);
  }
  const compress = codec === 'brotli' ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_LGWIN]: 24 } }) : createDeflateRaw({ level: 6 });
  const source = Readable.from(records(), { objectMode: false, highWaterMark: 1 });
  source.on('error', (e) => compress.destroy(e));
  return source.pipe(compress);
}

export interface UnpackedChunks {
  /** Where each chunk sits in the spool file. */
  readonly at: ReadonlyMap<Digest, { offset: number; length: number }>;
}

/**
 * Decompresses a pack (compressed with `codec`) into the file `spool`, checking each record's digest and that the recipe wants it (`wanted`);
 * BUNDLE_INVALID naming `what` on the first damaged, unknown or repeated chunk. `onChunks` hears of the chunks each
 * write put in the spool (checked, and readable there), as it goes: a rebuild may use them before the pack ends.
 */
export async function unpackChunks(
  pack: AsyncIterable<Uint8Array>,
  wanted: ReadonlyMap<Digest, number>,
  spool: string,
  what: string,
  codec: PackCodec = PACK_CODEC,
  onChunks?: (at: [Digest, { offset: number; length: number }][]) => Promise<void>,
): Promise<UnpackedChunks> {
  const bad = (why: string) => new SkiffError('BUNDLE_INVALID', `bundle is invalid: the chunks of ${what} ${why}: the bundle is damaged; copy it again or ask the vendor for an intact copy`);
  const at = new Map<Digest, { offset: number; length: number }>();
  const fh = await open(spool, 'w');
  try {
    let offset = 0;
    // Records are written in large batches: a write per 32 KiB chunk costs more than the copy.
    let batch: Buffer[] = [];
    let batched = 0;
    let written = 0;
    const fresh: [Digest, { offset: number; length: number }][] = [];
    const flush = async () => {
      if (batched > 0) await fh.writev(batch, written);
      written += batched;
      batch = [];
      batched = 0;
      if (fresh.length > 0) await onChunks?.(fresh.splice(0));
    };
    const records = new PackRecords((digest, length) => {
      if (wanted.get(digest) !== length) throw bad(`include ${digest} (${length} bytes), which its recipe does not name`);
      if (at.has(digest)) throw bad(`repeat ${digest}`);
    });
    const decompress = codec === 'brotli' ? createBrotliDecompress({ chunkSize: 1 << 20 }) : createInflateRaw({ chunkSize: 1 << 20 });
    const input = Readable.from(pack);
    input.on('error', (e) => decompress.destroy(e));
    const plain = input.pipe(decompress) as AsyncIterable<Buffer>;
    try {
      for await (const piece of plain) {
        for (const { digest, length, parts } of records.push(piece)) {
          const hash = createHash('sha256');
          for (const p of parts) hash.update(p);
          if (`sha256:${hash.digest('hex')}` !== digest) throw bad(`do not hash to their digests (${digest})`);
          batch.push(...parts);
          batched += length;
          at.set(digest, { offset, length });
          if (onChunks) fresh.push([digest, { offset, length }]);
          offset += length;
        }
        if (batched >= WRITE_BATCH) await flush();
      }
      await flush();
    } catch (e) {
      if (e instanceof SkiffError) throw e;
      throw bad(`do not decompress (${(e as Error).message})`);
    }
    if (!records.atBoundary) throw bad('end inside a record');
  } finally {
    await fh.close();
  }
  return { at };
}

/** A record of a pack: its head (checked before its bytes are awaited) and its bytes, in one part or, where it straddles pieces, several. */
export interface PackRecord {
  readonly digest: Digest;
  readonly length: number;
  readonly parts: readonly Buffer[];
}

/**
 * Cuts a pack's decompressed pieces into records without copying their bytes: each record is views of the pieces it
 * lies in (only a head split between pieces is copied, 36 bytes). Concatenating the rest of a piece with the next
 * copied nearly the whole pack once more. `check` sees each head as soon as it is whole, and throws to refuse it.
 */
export class PackRecords {
  readonly #check: (digest: Digest, length: number) => void;
  /** Bytes received and not yet part of a record, oldest first. */
  readonly #pieces: Buffer[] = [];
  #buffered = 0;
  #head: { digest: Digest; length: number } | undefined;

  constructor(check: (digest: Digest, length: number) => void) {
    this.#check = check;
  }

  /** Whether the bytes so far end where a record ends: false at the pack's end means it was cut. */
  get atBoundary(): boolean {
    return this.#head === undefined && this.#buffered === 0;
  }

  /** The records `piece` completes; the views stay valid as long as `piece` is not reused. */
  *push(piece: Buffer): Generator<PackRecord> {
    if (piece.length === 0) return;
    this.#pieces.push(piece);
    this.#buffered += piece.length;
    for (;;) {
      if (!this.#head) {
        if (this.#buffered < RECORD_HEAD) return;
        const parts = this.#take(RECORD_HEAD);
        const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        const digest = `sha256:${head.toString('hex', 0, 32)}` as Digest;
        const length = head.readUInt32BE(32);
        this.#check(digest, length);
        this.#head = { digest, length };
      }
      if (this.#buffered < this.#head.length) return;
      const { digest, length } = this.#head;
      this.#head = undefined;
      yield { digest, length, parts: this.#take(length) };
    }
  }

  /** The first `n` bytes received (n ≤ buffered), as views. */
  #take(n: number): Buffer[] {
    const parts: Buffer[] = [];
    this.#buffered -= n;
    while (n > 0) {
      const first = this.#pieces[0]!;
      if (first.length <= n) {
        parts.push(first);
        this.#pieces.shift();
        n -= first.length;
      } else {
        parts.push(first.subarray(0, n));
        this.#pieces[0] = first.subarray(n);
        n = 0;
      }
    }
    return parts;
  }
}
