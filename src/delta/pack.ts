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
    let buf: Buffer = Buffer.alloc(0);
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
    const decompress = codec === 'brotli' ? createBrotliDecompress({ chunkSize: 1 << 20 }) : createInflateRaw({ chunkSize: 1 << 20 });
    const input = Readable.from(pack);
    input.on('error', (e) => decompress.destroy(e));
    const plain = input.pipe(decompress) as AsyncIterable<Buffer>;
    try {
      for await (const piece of plain) {
        buf = buf.length === 0 ? piece : Buffer.concat([buf, piece]);
        while (buf.length >= RECORD_HEAD) {
          const digest = `sha256:${buf.toString('hex', 0, 32)}` as Digest;
          const length = buf.readUInt32BE(32);
          if (wanted.get(digest) !== length) throw bad(`include ${digest} (${length} bytes), which its recipe does not name`);
          if (at.has(digest)) throw bad(`repeat ${digest}`);
          if (buf.length < RECORD_HEAD + length) break;
          const bytes = buf.subarray(RECORD_HEAD, RECORD_HEAD + length);
          if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== digest) throw bad(`do not hash to their digests (${digest})`);
          batch.push(bytes);
          batched += length;
          at.set(digest, { offset, length });
          if (onChunks) fresh.push([digest, { offset, length }]);
          offset += length;
          buf = buf.subarray(RECORD_HEAD + length);
        }
        if (batched >= WRITE_BATCH) await flush();
      }
      await flush();
    } catch (e) {
      if (e instanceof SkiffError) throw e;
      throw bad(`do not decompress (${(e as Error).message})`);
    }
    if (buf.length > 0) throw bad('end inside a record');
  } finally {
    await fh.close();
  }
  return { at };
}
