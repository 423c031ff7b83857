// The filesystem blob store: blobs/sha256/<hex>, written through tmp/ with hash check, fsync and rename.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream, isDigest, type Digest } from '../../oci/index.ts';
import { SkiffError, fsyncDir } from '../../util/index.ts';
import type { BlobSource, BlobStat, BlobStore, Expected, GetOptions } from '../types.ts';
import { StorePaths } from './paths.ts';
import { markInFlight, sweepTempDir } from './temp-files.ts';

/** The store's own dirs are owner-only: its blobs are the vendor's images and releases. */
const DIR_MODE = 0o700;

export class FsBlobStore implements BlobStore {
  readonly paths: StorePaths;

  constructor(root: string) {
    this.paths = new StorePaths(root);
  }

  /** The file holding a blob; for callers that can use a path (fast copies). */
  blobPath(digest: Digest): string {
    return this.paths.blob(digest);
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.stat(digest)) !== undefined;
  }

  async stat(digest: Digest): Promise<BlobStat | undefined> {
    try {
      const s = await stat(this.paths.blob(digest));
      return { digest, size: s.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async get(digest: Digest, options: GetOptions = {}): Promise<Readable> {
    const path = this.paths.blob(digest);
    options.signal?.throwIfAborted();
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new SkiffError('BLOB_UNKNOWN', `blob ${digest} is not in the store at ${this.paths.root}`);
      throw e;
    }
    // A stream made with an aborted signal fails before the caller can listen: an uncaught error.
    if (options.signal?.aborted) {
      await fh.close();
      options.signal.throwIfAborted();
    }
    return createReadStream('', { fd: fh, start: options.start, end: options.end, signal: options.signal, highWaterMark: options.chunkSize ?? 1 << 20 });
  }

  async put(source: BlobSource, expected: Expected = {}, signal?: AbortSignal): Promise<BlobStat> {
    if (expected.digest && (await this.has(expected.digest))) return verifySource(source, expected, signal);
    await mkdir(this.paths.tmpDir, { recursive: true, mode: DIR_MODE });
    const tmp = this.paths.tempFile(randomBytes(12).toString('hex'));
    const settled = markInFlight(tmp);
    const hasher = new HashingStream();
    try {
      await pipeline(source, hasher, createWriteStream(tmp, { highWaterMark: 1 << 20 }), { signal });
      const digest = hasher.digest();
      checkExpected(digest, hasher.size, expected);
      const fh = await open(tmp, 'r+');
      await fh.sync();
      await fh.close();
      await mkdir(this.paths.blobsDir, { recursive: true, mode: DIR_MODE });
      await rename(tmp, this.paths.blob(digest));
      await fsyncDir(this.paths.blobsDir);
      return { digest, size: hasher.size };
    } finally {
      await rm(tmp, { force: true });
      settled();
    }
  }

  /**
   * Moves the file at `path` (same filesystem, already fsynced) into the store as blob `digest`: for a writer that
   * hashed it as it wrote it and checked the digest against a signed one.
   */
  async adopt(path: string, digest: Digest): Promise<void> {
    await mkdir(this.paths.blobsDir, { recursive: true, mode: DIR_MODE });
    await rename(path, this.paths.blob(digest));
    await fsyncDir(this.paths.blobsDir);
  }

  /** Removes temp files nobody writes any more: a dead process's at once, anyone's untouched for `olderThanMs`. */
  sweepTemp(olderThanMs: number): Promise<string[]> {
    return sweepTempDir(this.paths.tmpDir, olderThanMs);
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.paths.blob(digest), { force: true });
  }

  async *list(): AsyncIterable<Digest> {
    let names: string[];
    try {
      names = await readdir(this.paths.blobsDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const n of names) {
      const d = `sha256:${n}`;
      if (isDigest(d)) yield d;
    }
  }
}

/** For a blob the store has already: reads the source through, hashing, so other bytes sent under its digest are refused, not acknowledged. */
export async function verifySource(source: BlobSource, expected: Expected, signal?: AbortSignal): Promise<BlobStat> {
  const hasher = new HashingStream();
  await pipeline(source, hasher, new Writable({ write: (_chunk, _enc, done) => done() }), { signal });
  const digest = hasher.digest();
  checkExpected(digest, hasher.size, expected);
  return { digest, size: hasher.size };
}

export function checkExpected(digest: Digest, size: number, expected: Expected): void {
  if (expected.size !== undefined && expected.size !== size)
    throw new SkiffError('SIZE_MISMATCH', `blob ${expected.digest ?? digest} has ${size} bytes, expected ${expected.size}: the source is truncated or corrupt`);
  if (expected.digest !== undefined && expected.digest !== digest)
    throw new SkiffError('DIGEST_MISMATCH', `blob content hashes to ${digest}, expected ${expected.digest}: the source is corrupt or tampered with`);
}
