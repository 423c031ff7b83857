// Rebuilds a layer's exact uncompressed tar from its recipe: header bytes from the index, each chunk from the bundle's
// pack or from a base layer the agent already holds (decompressed once into its work dir). The result must hash to
// the layer's diffID; anything else is a refused install, never an image.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { buffer } from 'node:stream/consumers';
import type { Digest } from '../oci/index.ts';
import type { BlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import { chunkOffsets, decodeLayerIndex, type LayerIndex } from './layer-index.ts';

const WRITE_BATCH = 4 << 20;

/** A base layer the agent holds and the index of its content. */
export interface BaseLayer {
  readonly layer: Digest;
  readonly index: Digest;
}

interface Located {
  readonly file: () => Promise<FileHandle>;
  readonly offset: number;
  readonly length: number;
}

/** Finds chunks in base layers (read lazily from `store`) and in unpacked packs; one per install, in `workDir`. */
export class ChunkLocator {
  readonly #store: BlobStore;
  readonly #workDir: string;
  readonly #bases: readonly BaseLayer[];
  #map: Map<Digest, Located> | undefined;
  readonly #open = new Map<string, Promise<FileHandle>>();

  constructor(store: BlobStore, workDir: string, bases: readonly BaseLayer[]) {
    this.#store = store;
    this.#workDir = workDir;
    this.#bases = bases;
  }

  /** Adds the chunks of a pack unpacked into `spool`. */
  async addPack(spool: string, at: ReadonlyMap<Digest, { offset: number; length: number }>): Promise<void> {
    const map = await this.#baseMap();
    const file = () => this.#handle(spool, async () => undefined);
    for (const [d, loc] of at) map.set(d, { file, ...loc });
  }

  /** The chunk's bytes; undefined when neither a base layer nor a pack has it. */
  async read(digest: Digest, length: number): Promise<Buffer | undefined> {
    const loc = (await this.#baseMap()).get(digest);
    if (!loc || loc.length !== length) return undefined;
    const fh = await loc.file();
    const b = Buffer.allocUnsafe(length);
    const { bytesRead } = await fh.read(b, 0, length, loc.offset);
    return bytesRead === length ? b : undefined;
  }

  async close(): Promise<void> {
    for (const p of this.#open.values()) await (await p.catch(() => undefined))?.close();
    this.#open.clear();
  }

  async #baseMap(): Promise<Map<Digest, Located>> {
    if (this.#map) return this.#map;
    const map = new Map<Digest, Located>();
    for (const base of this.#bases) {
      const index = await decodeLayerIndex(await buffer(await this.#store.get(base.index)), `the index of base layer ${base.layer}`);
      const path = join(this.#workDir, `base-${base.layer.slice(7)}.tar`);
      const file = () => this.#handle(path, () => this.#spoolBase(base.layer, path));
      for (const [d, loc] of chunkOffsets(index)) if (!map.has(d)) map.set(d, { file, ...loc });
    }
    this.#map = map;
    return map;
  }

  #handle(path: string, fill: () => Promise<void>): Promise<FileHandle> {
    let p = this.#open.get(path);
    if (!p) {
      p = fill().then(() => open(path, 'r'));
      this.#open.set(path, p);
    }
    return p;
  }

  async #spoolBase(layer: Digest, path: string): Promise<void> {
    await pipeline(await this.#store.get(layer), createGunzip({ chunkSize: 1 << 20 }), createWriteStream(path, { highWaterMark: 1 << 20 }));
  }
}

/**
 * The tar `index` describes, piece by piece (header bytes and chunks); BASE_MISSING when a chunk is nowhere, and after
 * the last piece DIGEST_MISMATCH when the whole is not the diffID: a consumer keeps nothing until the end came clean.
 */
export async function* rebuildLayerPieces(index: LayerIndex, chunks: ChunkLocator, what: string): AsyncGenerator<Buffer> {
  const whole = createHash('sha256');
  let lit = 0;
  let next = 0;
  for (const [litLength, n] of index.runs) {
    if (litLength > 0) {
      const b = index.literal.subarray(lit, lit + litLength);
      whole.update(b);
      yield b;
    }
    lit += litLength;
    for (let i = 0; i < n; i++) {
      const ref = index.chunks[next++]!;
      const bytes = await chunks.read(ref.digest, ref.length);
      if (!bytes)
        throw new SkiffError('BASE_MISSING', `${what} needs chunk ${ref.digest}, which neither the bundle nor the base release holds: install the base release the bundle names, or use a full bundle`);
      whole.update(bytes);
      yield bytes;
    }
  }
  const got = `sha256:${whole.digest('hex')}`;
  if (got !== index.diffId)
    throw new SkiffError('DIGEST_MISMATCH', `${what} rebuilt from its recipe hashes to ${got}, not its diffID ${index.diffId}: the bundle or the base is damaged; nothing was installed`);
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
