// The content store: blob interface, filesystem backend, on-disk paths.
export type { BlobSource, BlobStore, BlobStat, Expected, GetOptions } from './types.ts';
export { FsBlobStore, checkExpected } from './fs/blob-store.ts';
export { StorePaths, checkAppName, checkVersion } from './fs/paths.ts';
export { ReadBufferBudget, blobReadBudget, type ReadLease } from './read-budget.ts';
export { RegistryBlobStore, type RegistryBlobStoreOptions } from './registry/registry-blob-store.ts';
