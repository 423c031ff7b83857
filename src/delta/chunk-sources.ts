// Where a rebuild reads chunk bytes from, by offset in an uncompressed layer tar: a plain file (a pack's spool, a gzip -6
// base layer decompressed once), or a stored-gzip base layer's blob itself, whose framing maps tar offsets to blob
// offsets, so its chunks are read in place with no decompression and no copy. Nothing here is trusted: the rebuilt
// layer must still hash to its diffID.
import { open, type FileHandle } from 'node:fs/promises';
import { STORED_BLOCK, STORED_BLOCK_HEAD, STORED_HEADER_SIZE } from '../oci/index.ts';

/** Reads `length` bytes at tar offset `offset` into `into` (at `at`); false when the source ends before them. */
export interface ChunkSource {
  read(into: Buffer, at: number, offset: number, length: number): Promise<boolean>;
  /** The file to read (made first if need be), and for a stored gzip the size of its tar; for readers of their own. */
  file(): Promise<{ path: string; storedTarSize: number | null }>;
  close(): Promise<void>;
}

/** A file opened on first use (after `fill` made it, once). */
abstract class LazyFile implements ChunkSource {
  #handle: Promise<FileHandle> | undefined;
  readonly #path: string;
  readonly #fill: () => Promise<void>;

  constructor(path: string, fill: () => Promise<void> = async () => undefined) {
    this.#path = path;
    this.#fill = fill;
  }

  protected handle(): Promise<FileHandle> {
    this.#handle ??= this.#fill().then(() => open(this.#path, 'r'));
    return this.#handle;
  }

  abstract read(into: Buffer, at: number, offset: number, length: number): Promise<boolean>;

  protected storedTarSize(): number | null {
    return null;
  }

  async file(): Promise<{ path: string; storedTarSize: number | null }> {
    await this.handle();
    return { path: this.#path, storedTarSize: this.storedTarSize() };
  }

  async close(): Promise<void> {
    const h = this.#handle;
    this.#handle = undefined;
    await (await h?.catch(() => undefined))?.close();
  }
}

/** The tar's bytes as they are in a file. */
export class PlainFileSource extends LazyFile {
  async read(into: Buffer, at: number, offset: number, length: number): Promise<boolean> {
    const fh = await this.handle();
    const { bytesRead } = await fh.read(into, at, length, offset);
    return bytesRead === length;
  }
}

/** Where tar offset `t` is in the stored gzip of that tar. */
export function storedBlobOffset(t: number): number {
  return STORED_HEADER_SIZE + Math.floor(t / STORED_BLOCK) * (STORED_BLOCK_HEAD + STORED_BLOCK) + STORED_BLOCK_HEAD + (t % STORED_BLOCK);
}

/** A stored-gzip blob (src/oci/stored-gzip.ts): one vectored read per range, the 5-byte block heads read aside. */
export class StoredGzipSource extends LazyFile {
  readonly #aside = Buffer.allocUnsafe(STORED_BLOCK_HEAD);
  readonly #tarSize: number;

  /** The stored gzip at `path` of a tar of `tarSize` bytes. */
  constructor(path: string, tarSize: number) {
    super(path);
    this.#tarSize = tarSize;
  }

  protected override storedTarSize(): number {
    return this.#tarSize;
  }

  async read(into: Buffer, at: number, offset: number, length: number): Promise<boolean> {
    if (offset + length > this.#tarSize) return false;
    if (length === 0) return true;
    const fh = await this.handle();
    const parts: Buffer[] = [];
    let t = offset;
    const end = offset + length;
    while (t < end) {
      const n = Math.min(end, (Math.floor(t / STORED_BLOCK) + 1) * STORED_BLOCK) - t;
      if (parts.length > 0) parts.push(this.#aside);
      parts.push(into.subarray(at + t - offset, at + t - offset + n));
      t += n;
    }
    const want = storedBlobOffset(end - 1) + 1 - storedBlobOffset(offset);
    let got = 0;
    // readv takes at most IOV_MAX (1024) buffers a call: a range of more than ~32 MiB is read in several.
    for (let i = 0; i < parts.length; i += 1000) {
      const batch = parts.slice(i, i + 1000);
      const size = batch.reduce((s, b) => s + b.length, 0);
      const { bytesRead } = await fh.readv(batch, storedBlobOffset(offset) + got);
      got += bytesRead;
      if (bytesRead !== size) return false;
    }
    return got === want;
  }
}
