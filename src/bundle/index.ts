// The .skiff bundle: write (full or delta), read and verify in one pass, inspect.
export { writeBundle, planBundle, bundleSize, type BundleSource } from './writer.ts';
export { readBundle } from './reader.ts';
export type { BundleContents, IncomingBlobs, ReadOptions } from './read-options.ts';
export { BUNDLE_READ_BYTES } from './entries.ts';
export { StagingSink, VerifyOnlySink, type BlobSink } from './sinks.ts';
export { trustVerifier, type TrustOutcome, type TrustVerifier } from './trust-verifier.ts';
export { inspectBundle, type BundleSummary } from './inspect.ts';
export { BUNDLE_SCHEMA, bundleBases, basesText, type BundleIndex } from './format.ts';
export { readIdentityFile, newIdentity, checkRecipient, BlobEncrypter, ENCRYPTED_BLOB_ENTRY_RE } from './encryption.ts';
