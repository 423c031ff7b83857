// The content-addressed blob store interface, shared by the filesystem and registry backends.
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/index.ts';

export type BlobSource = Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface BlobStat {
  readonly digest: Digest;
  readonly size: number;
}

export interface GetOptions {
  /** First byte, inclusive. */
  readonly start?: number;
  /** Last byte, inclusive (as in HTTP Range). */
  readonly end?: number;
  readonly signal?: AbortSignal;
  /** Bytes per read (the stream's buffer), e.g. from a ReadBufferBudget lease; the backend's default when absent. */
  readonly chunkSize?: number;
}

export interface Expected {
  readonly digest?: Digest;
  readonly size?: number;
}

// No `list`: the OCI Distribution API cannot enumerate blobs, so only the filesystem store offers one.
export interface BlobStore {
  has(digest: Digest, signal?: AbortSignal): Promise<boolean>;
  stat(digest: Digest, signal?: AbortSignal): Promise<BlobStat | undefined>;
  /** Throws SkiffError BLOB_UNKNOWN when absent. */
  get(digest: Digest, options?: GetOptions): Promise<Readable>;
  /** Streams into a temp file, hashing; becomes visible only when digest and size match `expected`. */
  put(source: BlobSource, expected?: Expected, signal?: AbortSignal): Promise<BlobStat>;
  delete(digest: Digest, signal?: AbortSignal): Promise<void>;
}
