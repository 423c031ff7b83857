// OCI basics: media types and header names, sha256 digests, image manifests, parallel gzip (the /v2/ API is in distribution/).
export * from './constants.ts';
export * from './digest.ts';
export * from './manifest.ts';
export { gzipFileParallel } from './parallel-gzip.ts';
export { storedGzip, storedGzipFile, storedGzipSize, STORED_BLOCK, STORED_BLOCK_HEAD, STORED_HEADER_SIZE } from './stored-gzip.ts';
