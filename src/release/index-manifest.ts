// The signed release manifest and the blobs it reaches, without release creation, the store or Compose (yaml, semver,
// undici): what a bundle reader needs to check a release.
export { RELEASE_SCHEMA, ReleaseManifestSchema, parseReleaseManifest, releaseBytes, releaseDigest, releaseContent, type ReleaseManifest, type ReleaseImage, type ReleaseArtifact } from './manifest.ts';
export { releaseBlobs, walkReleaseBlobs, type ReleaseBlob, type ReleaseBlobWalk, type BlobKind } from './blobs.ts';
