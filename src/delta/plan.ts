// The writer's side of a content-level delta: for each layer the base lacks, the pack of chunks no base layer holds,
// kept only when it is smaller than the layer itself. Packs are put into the blob store, so a bundle can be sized
// and then streamed (the hub does both) without chunking twice.
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import type { BlobStat, BlobStore } from '../store/index.ts';
import type { Digest } from '../oci/index.ts';
import { decodeLayerIndex } from './layer-index.ts';
import { layerTar, type LayerIndexRef } from './index-layers.ts';
import { PACK_CODEC, packChunks, type PackCodec } from './pack.ts';

export interface LayerPack {
  readonly layer: Digest;
  /** The pack blob in the store. */
  readonly pack: BlobStat;
  readonly codec: PackCodec;
}

/** Packs already made by this process, by (layer index, base indexes): the same inputs always make the same bytes. */
const made = new Map<string, BlobStat>();
const MADE_LIMIT = 1024;
/** Smaller layers go whole: a pack would save a few KiB and cost the agent a rebuild (base indexes, a base layer read). */
export const MIN_PACKED_LAYER = 256 << 10;

/**
 * For each of `layers` (those a delta would carry whole) that has an index in `target`, the pack of its chunks that
 * not every base holds (`bases`: each base release's layer indexes; a site has any one of them), when that pack is
 * smaller than the layer; layers without an index, or with a larger pack, are left out (they go whole). Empty when a
 * base has no indexes.
 */
export async function planLayerPacks(store: BlobStore, layers: readonly { digest: Digest; size: number }[], target: readonly LayerIndexRef[], bases: readonly (readonly LayerIndexRef[])[], signal?: AbortSignal): Promise<LayerPack[]> {
  if (bases.length === 0 || bases.some((b) => b.length === 0)) return [];
  const baseKey = bases.map((b) => b.map((r) => r.digest).sort().join(',')).join('|');
  let baseChunks: Set<Digest> | undefined;
  const out: LayerPack[] = [];
  for (const layer of layers) {
    const ref = target.find((t) => t.layer === layer.digest);
    if (!ref || layer.size < MIN_PACKED_LAYER) continue;
    const key = createHash('sha256').update(`${ref.digest}\0${baseKey}\0${PACK_CODEC}`).digest('hex');
    let pack = made.get(key);
    if (!pack || !(await store.has(pack.digest, signal))) {
      baseChunks ??= await sharedChunks(store, bases);
      const index = await decodeLayerIndex(await buffer(await store.get(ref.digest, { signal })), `the index of layer ${layer.digest}`);
      const needed = new Set(index.chunks.map((c) => c.digest).filter((d) => !baseChunks!.has(d)));
      pack = await store.put(packChunks(layerTar(store, layer.digest, signal), index, needed), {}, signal);
      if (made.size >= MADE_LIMIT) made.clear();
      made.set(key, pack);
    }
    if (pack.size < layer.size) out.push({ layer: layer.digest, pack, codec: PACK_CODEC });
  }
  return out;
}

/** The chunks every base holds (their intersection). */
async function sharedChunks(store: BlobStore, bases: readonly (readonly LayerIndexRef[])[]): Promise<Set<Digest>> {
  const [first, ...rest] = await Promise.all(bases.map((b) => chunksOf(store, b)));
  return new Set([...first!].filter((d) => rest.every((s) => s.has(d))));
}

async function chunksOf(store: BlobStore, refs: readonly LayerIndexRef[]): Promise<Set<Digest>> {
  const all = new Set<Digest>();
  for (const r of refs) for (const c of (await decodeLayerIndex(await buffer(await store.get(r.digest)), `the index of layer ${r.layer}`)).chunks) all.add(c.digest);
  return all;
}
