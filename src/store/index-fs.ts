// The content store's filesystem backend alone: for readers that never talk to a registry (the registry backend loads undici).
export type { BlobSource, BlobStore, BlobStat, Expected, GetOptions } from './types.ts';
export { FsBlobStore, checkExpected } from './fs/blob-store.ts';
