// Where verified blobs go (the BlobSink a bundle read writes to), and the sink of `bundle verify`, which keeps nothing.
import { buffer } from 'node:stream/consumers';
import { createHash } from 'node:crypto';
import type { Digest } from '../oci/index.ts';
import { MAX_MANIFEST_BYTES } from '../oci/index.ts';
import { checkExpected, type FsBlobStore } from '../store/index-fs.ts';
import type { RebuildRequest } from './packs.ts';

/** Where verified blobs go: a staging store on install, nowhere on `bundle verify`. */
export interface BlobSink {
  /** The blob is already available (a delta's base); its bytes need not be in the bundle. */
  has(digest: Digest): Promise<boolean>;
  /** Small blobs (manifests) already available, to follow what they reach; undefined when not. */
  readSmall(digest: Digest): Promise<Buffer | undefined>;
  /** Consumes the stream; must throw unless it hashes to `digest` with `size` bytes. */
  write(digest: Digest, size: number, data: AsyncIterable<Uint8Array> | Buffer): Promise<void>;
  /** bundle.json lists chunk packs: start what their rebuilds need (the bases' indexes, workers) while the rest is read. */
  expectRebuilds?(): void;
  /** Rebuilds a layer from its recipe and chunk pack and writes it as `write` does; absent where nothing is kept. */
  rebuildLayer?(req: RebuildRequest): Promise<boolean>;
  /** Waits for the rebuilds still running (they read no more of the bundle); throws the first one's error. */
  settle?(): Promise<void>;
}

export async function readIfSmall(store: FsBlobStore, digest: Digest): Promise<Buffer | undefined> {
  const s = await store.stat(digest);
  if (!s || s.size > MAX_MANIFEST_BYTES) return undefined;
  return buffer(await store.get(digest));
}

/** Hashes and discards: `bundle verify`. Blobs of a delta's base count as present only if `store` has them. */
export class VerifyOnlySink implements BlobSink {
  readonly #store: FsBlobStore | undefined;
  constructor(store?: FsBlobStore) {
    this.#store = store;
  }
  async has(digest: Digest): Promise<boolean> {
    return (await this.#store?.has(digest)) ?? false;
  }
  async readSmall(digest: Digest): Promise<Buffer | undefined> {
    return this.#store ? readIfSmall(this.#store, digest) : undefined;
  }
  async write(digest: Digest, size: number, data: AsyncIterable<Uint8Array> | Buffer): Promise<void> {
    const h = createHash('sha256');
    let n = 0;
    for await (const c of Buffer.isBuffer(data) ? [data] : data) {
      h.update(c);
      n += c.length;
    }
    checkExpected(`sha256:${h.digest('hex')}`, n, { digest, size });
  }
}

