// The chunks of the base layers an agent holds, mapped once per install: every layer a delta rebuilds looks its chunks
// up here (building these maps for each layer again cost ~0.1 s of the install's start). A stored-gzip base is read in
// place; a gzip -6 one is decompressed once, into the install's spool directory, when a chunk first needs it.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { storedGzipSize, type Digest } from '../oci/index.ts';
import type { FsBlobStore } from '../store/index.ts';
import { PlainFileSource, StoredGzipSource, type ChunkSource } from './chunk-sources.ts';
import { chunkOffsets, decodeLayerIndex } from './layer-index.ts';

/** A base layer the agent holds and the index of its content. */
export interface BaseLayer {
  readonly layer: Digest;
  readonly index: Digest;
}

/** Where a chunk's bytes are: `length` bytes at tar offset `offset` of `source`. */
export interface Located {
  readonly source: ChunkSource;
  readonly offset: number;
  readonly length: number;
}

/** The bases' chunks: those of stored-gzip bases (read in place) and of gzip -6 ones (decompressed first). */
export interface BaseMaps {
  readonly stored: ReadonlyMap<Digest, Located>;
  readonly spooled: ReadonlyMap<Digest, Located>;
}

/** The chunks of `bases` (the first base holding a chunk wins), their sources open until close(). */
export class BaseChunkMap {
  readonly #store: FsBlobStore;
  readonly #bases: readonly BaseLayer[];
  readonly #spoolDir: string;
  readonly #sources: ChunkSource[] = [];
  #mapping: Promise<BaseMaps> | undefined;

  /** `spoolDir`: where a gzip -6 base is decompressed (made when needed). */
  constructor(store: FsBlobStore, bases: readonly BaseLayer[], spoolDir: string) {
    this.#store = store;
    this.#bases = bases;
    this.#spoolDir = spoolDir;
  }

  /** The maps, made on the first call: every base's index is read and decoded at once, not one after another. */
  ready(): Promise<BaseMaps> {
    this.#mapping ??= this.#map();
    return this.#mapping;
  }

  async close(): Promise<void> {
    for (const s of this.#sources.splice(0)) await s.close();
  }

  async #map(): Promise<BaseMaps> {
    const decoded = await Promise.all(
      this.#bases.map(async (base) => {
        const index = await decodeLayerIndex(await buffer(await this.#store.get(base.index)), `the index of base layer ${base.layer}`);
        return { base, tarSize: index.tarSize, offsets: chunkOffsets(index), size: (await this.#store.stat(base.layer))?.size };
      }),
    );
    const maps = { stored: new Map<Digest, Located>(), spooled: new Map<Digest, Located>() };
    for (const { base, tarSize, offsets, size } of decoded) {
      const stored = size === storedGzipSize(tarSize);
      const map = stored ? maps.stored : maps.spooled;
      let source: ChunkSource | undefined;
      for (const [d, loc] of offsets) {
        if (map.has(d)) continue;
        if (!source) this.#sources.push((source = stored ? new StoredGzipSource(this.#store.blobPath(base.layer), tarSize) : this.#spooled(base.layer)));
        map.set(d, { source, offset: loc.offset, length: loc.length });
      }
    }
    return maps;
  }

  #spooled(layer: Digest): ChunkSource {
    const path = join(this.#spoolDir, `base-${layer.slice(7)}.tar`);
    return new PlainFileSource(path, async () => {
      await mkdir(this.#spoolDir, { recursive: true });
      await pipeline(await this.#store.get(layer), createGunzip({ chunkSize: 1 << 20 }), createWriteStream(path, { highWaterMark: 1 << 20 }));
    });
  }
}
