// Where a bundle's verified blobs go: a staging store on install (moved into the store only when all is
// verified), or nowhere when only verifying.
import { rename, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FsBlobStore } from '../store/index.ts';
import type { Digest } from '../oci/index.ts';
import { fsyncDir } from '../util/index.ts';
import { startRebuild, storeBases } from './rebuild-layer.ts';
import type { RebuildRequest } from './packs.ts';
import { BaseChunkMap, LayerFramer } from '../delta/index.ts';
import { readIfSmall, type BlobSink } from './verify-sink.ts';

export { VerifyOnlySink, type BlobSink } from './verify-sink.ts';

/** Writes into `<stagingDir>`, then `commit()` renames every blob into the store (same filesystem). */
export class StagingSink implements BlobSink {
  readonly #store: FsBlobStore;
  readonly #staging: FsBlobStore;
  readonly #written: Digest[] = [];
  readonly #writtenSet = new Set<Digest>();
  readonly #onWritten: ((digest: Digest) => void) | undefined;
  /** Rebuilds that run on while the bundle is read on (a layer framed on a worker thread). */
  readonly #pending: Promise<void>[] = [];
  #framer: LayerFramer | undefined;
  /** The chunks of the store's indexed layers, mapped once per install (every layer's rebuild uses them all). */
  #bases: Promise<BaseChunkMap> | undefined;

  /** `onWritten` hears of each blob once it is hashed, checked and in the staging store. */
  constructor(store: FsBlobStore, stagingDir: string, onWritten?: (digest: Digest) => void) {
    this.#store = store;
    this.#staging = new FsBlobStore(stagingDir);
    this.#onWritten = onWritten;
  }
  /** A verified blob: written by this read (in the staging store), or already in the store. */
  async open(digest: Digest, signal?: AbortSignal): Promise<Readable> {
    return (this.#writtenSet.has(digest) ? this.#staging : this.#store).get(digest, signal ? { signal } : {});
  }
  async verified(digest: Digest): Promise<boolean> {
    return this.#writtenSet.has(digest) || (await this.#store.has(digest));
  }
  async has(digest: Digest): Promise<boolean> {
    return this.#store.has(digest);
  }
  async readSmall(digest: Digest): Promise<Buffer | undefined> {
    return readIfSmall(this.#store, digest);
  }
  async write(digest: Digest, size: number, data: AsyncIterable<Uint8Array> | Buffer): Promise<void> {
    await this.#staging.put(Buffer.isBuffer(data) ? [data] : data, { digest, size });
    this.#wrote(digest);
  }
  #wrote(digest: Digest): void {
    this.#written.push(digest);
    this.#writtenSet.add(digest);
    this.#onWritten?.(digest);
  }
  /** Maps the bases' chunks (reading and decoding their indexes) and starts the framing workers while the bundle's blobs are read. */
  expectRebuilds(): void {
    (this.#framer ??= new LayerFramer()).warm();
    this.#baseChunks()
      .then((bases) => bases.ready())
      .catch(() => undefined);
  }
  #baseChunks(): Promise<BaseChunkMap> {
    this.#bases ??= storeBases(this.#store).then((bases) => new BaseChunkMap(this.#store, bases, join(this.#staging.paths.root, 'base-tars')));
    return this.#bases;
  }
  /** Rebuilds from the pack and the chunks of every indexed layer in the store (the base, or any release the site has). */
  async rebuildLayer(req: RebuildRequest): Promise<boolean> {
    this.#framer ??= new LayerFramer();
    const { done } = await startRebuild(req, {
      store: this.#store,
      staging: this.#staging,
      bases: await this.#baseChunks(),
      write: (d, n, data) => this.write(d, n, data),
      framer: this.#framer,
      adopt: async (d, path) => {
        await this.#staging.adopt(path, d);
        this.#wrote(d);
      },
    });
    done.catch(() => undefined);
    this.#pending.push(done);
    return true;
  }
  async settle(): Promise<void> {
    const results = await Promise.allSettled(this.#pending.splice(0));
    await this.#framer?.close();
    this.#framer = undefined;
    const bases = this.#bases;
    this.#bases = undefined;
    await (await bases?.catch(() => undefined))?.close();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async commit(): Promise<void> {
    await this.settle();
    await mkdir(this.#store.paths.blobsDir, { recursive: true });
    for (const d of this.#written) await rename(this.#staging.blobPath(d), this.#store.blobPath(d));
    await fsyncDir(this.#store.paths.blobsDir);
    await this.discard();
  }
  async discard(): Promise<void> {
    await this.settle().catch(() => undefined);
    await rm(this.#staging.paths.root, { recursive: true, force: true });
  }
}
