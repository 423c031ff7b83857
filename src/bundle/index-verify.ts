// Reading, verifying and inspecting a bundle, without the writer, the staging sink or encryption (release creation,
// the store's registry backend, Compose, age): what `skiff bundle verify` and `inspect` load before they read a byte.
export { readBundle } from './reader.ts';
export type { BundleContents, ReadOptions } from './read-options.ts';
export { BUNDLE_READ_BYTES } from './entries.ts';
export { VerifyOnlySink, type BlobSink } from './verify-sink.ts';
export { trustVerifier, type TrustOutcome, type TrustVerifier } from './trust-verifier.ts';
export { inspectBundle, type BundleSummary } from './inspect.ts';
export { bundleBases, basesText, type BundleIndex } from './format.ts';
