// Content-level deltas: content-defined chunks of layer files, per-layer recipes, chunk packs and the agent's rebuild.
export { DEFAULT_AVERAGE, ContentChunker, chunkParams, type ChunkParams } from './chunker.ts';
export { LAYER_INDEX_MEDIA_TYPE, LayerIndexer, indexLayerTar, encodeLayerIndex, decodeLayerIndex, chunkOffsets, type LayerIndex, type ChunkRef } from './layer-index.ts';
export { indexLayers, layerTar, type LayerIndexRef } from './index-layers.ts';
export { PACK_CODEC, packChunks, unpackChunks, type PackCodec } from './pack.ts';
export { planLayerPacks, type LayerPack } from './plan.ts';
export { BaseChunkMap, type BaseLayer } from './base-chunks.ts';
export { ChunkLocator, FrameFeed, rebuildLayerPieces, rebuildLayerTar } from './rebuild.ts';
export { LayerFramer, type FrameResult, type FrameSegment, type FrameSession } from './frame-worker.ts';
