// Gzip without compression (deflate stored blocks), framed by Skiff itself: its bytes depend on the input alone, never on
// a zlib build (zlib's deflate output differs between Node 20, 22 and 24), so an agent rebuilds a layer to the digest
// release create signed at the speed of a copy and a hash. Releases made for content-level deltas use it for layers.
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

/** ID1 ID2, CM deflate, no flags, MTIME 0, XFL 0, OS 255 (unknown): the same header whoever writes it. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** The largest stored block; every block but the last holds exactly this much. */
const BLOCK = 65535;
const BLOCK_HEAD = 5;
/** The framing's constants, for readers that find tar bytes in a stored gzip without inflating it. */
export const STORED_HEADER_SIZE = HEADER.length;
export const STORED_BLOCK = BLOCK;
export const STORED_BLOCK_HEAD = BLOCK_HEAD;
const OUT_BLOCKS = 16;
const READ = 1 << 20;

/** The exact size of the stored gzip of `size` bytes: a layer's signed size tells whether it was written this way. */
export function storedGzipSize(size: number): number {
  return HEADER.length + size + BLOCK_HEAD * Math.max(1, Math.ceil(size / BLOCK)) + 8;
}

/**
 * The stored gzip of `input`, which must be exactly `total` bytes, pieces of any size: every block but the last holds
 * 65535 bytes, so the output depends on the bytes alone. Output comes in pieces of 16 blocks.
 */
export async function* storedGzip(input: AsyncIterable<Uint8Array>, total: number): AsyncGenerator<Buffer> {
  yield HEADER;
  let out = Buffer.allocUnsafe(OUT_BLOCKS * (BLOCK_HEAD + BLOCK));
  let o = 0;
  let fill = 0;
  let pos = 0;
  let crc = 0;
  const closeBlock = () => {
    out[o] = pos === total ? 1 : 0;
    out.writeUInt16LE(fill, o + 1);
    out.writeUInt16LE(~fill & 0xffff, o + 3);
    o += BLOCK_HEAD + fill;
    fill = 0;
  };
  for await (const piece of input) {
    if (pos + piece.length > total) throw new Error(`stored gzip: the input is longer than its ${total} bytes`);
    crc = crc32(piece, crc);
    for (let at = 0; at < piece.length; ) {
      const n = Math.min(BLOCK - fill, piece.length - at);
      out.set(piece.subarray(at, at + n), o + BLOCK_HEAD + fill);
      fill += n;
      at += n;
      pos += n;
      if (fill === BLOCK) {
        closeBlock();
        if (o === out.length) {
          yield out;
          out = Buffer.allocUnsafe(out.length);
          o = 0;
        }
      }
    }
  }
  if (pos !== total) throw new Error(`stored gzip: the input ends at ${pos} of its ${total} bytes`);
  if (fill > 0 || total === 0) closeBlock();
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(total % 2 ** 32, 4);
  yield Buffer.concat([out.subarray(0, o), trailer]);
}

/** The stored gzip of the file at `path`, as one gzip member. */
export function storedGzipFile(path: string, signal?: AbortSignal): Readable {
  async function* pieces(): AsyncGenerator<Buffer> {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      async function* reads(): AsyncGenerator<Buffer> {
        for (let pos = 0; pos < size; ) {
          signal?.throwIfAborted();
          const data = Buffer.allocUnsafe(Math.min(READ, size - pos));
          const { bytesRead } = await fh.read(data, 0, data.length, pos);
          if (bytesRead !== data.length) throw new Error(`${path} changed while it was compressed`);
          yield data;
          pos += data.length;
        }
      }
      yield* storedGzip(reads(), size);
    } finally {
      await fh.close();
    }
  }
  return Readable.from(pieces());
}
