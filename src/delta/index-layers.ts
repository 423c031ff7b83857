// At release create: the content index of each layer, stored as a blob; a layer already indexed (by an earlier
// release of the store) is not read again.
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Digest } from '../oci/index.ts';
import type { BlobStore } from '../store/index.ts';
import { DEFAULT_AVERAGE } from './chunker.ts';
import { LAYER_INDEX_MEDIA_TYPE, encodeLayerIndex, indexLayerTar, type LayerIndex } from './layer-index.ts';

/** A layer's index as the signed release references it. */
export interface LayerIndexRef {
  readonly layer: Digest;
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
}

/** The uncompressed tar of a gzip layer blob, as pieces. */
export async function* layerTar(store: BlobStore, layer: Digest, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  const done = pipeline(await store.get(layer, { signal }), gunzip, { signal }).catch((e: unknown) => {
    gunzip.destroy(e as Error);
  });
  for await (const piece of gunzip as AsyncIterable<Buffer>) yield piece;
  await done;
}

/**
 * Indexes every layer in `layers` not in `known`, in order; each index is put into `store`. An index in `made` (by layer
 * digest, indexed from its tar elsewhere with `average`) is taken as it is.
 */
export async function indexLayers(store: BlobStore, layers: readonly Digest[], known: readonly LayerIndexRef[], signal?: AbortSignal, average = DEFAULT_AVERAGE, made?: ReadonlyMap<Digest, Promise<LayerIndex>>): Promise<LayerIndexRef[]> {
  const out: LayerIndexRef[] = [];
  for (const layer of [...new Set(layers)]) {
    const have = known.find((k) => k.layer === layer && k.mediaType === LAYER_INDEX_MEDIA_TYPE);
    if (have && (await store.has(have.digest, signal))) {
      out.push(have);
      continue;
    }
    const index: LayerIndex = await (made?.get(layer) ?? indexLayerTar(layerTar(store, layer, signal), average));
    const stat = await store.put([await encodeLayerIndex(index)], {}, signal);
    out.push({ layer, mediaType: LAYER_INDEX_MEDIA_TYPE, digest: stat.digest, size: stat.size });
  }
  return out;
}
