// Releases: create one from Compose and engine images, keep it in the store, read, list and compare them.
export { createRelease, AGENT_VERSION, type CreateReleaseOptions } from './create.ts';
export { importEngineImage, type ImageSource, type LayerCompression, type StoredImage } from './import-image.ts';
export {
  AGENT_IMAGE,
  RELEASE_SCHEMA,
  ReleaseManifestSchema,
  parseReleaseManifest,
  releaseBytes,
  releaseDigest,
  releaseContent,
  type ReleaseManifest,
  type ReleaseImage,
  type ReleaseArtifact,
} from './manifest.ts';
export { releaseSbom, sbomArtifact } from './sbom.ts';
export { readProvenance, pae, IN_TOTO_STATEMENT, SLSA_PROVENANCE, DSSE_PAYLOAD_TYPE, type ProvenanceInput, type VerifiedProvenance } from './provenance.ts';
export {
  findRelease,
  getRelease,
  saveRelease,
  loadChain,
  listReleases,
  parseAppVersion,
  type StoredRelease,
} from './release-store.ts';
export { releaseBlobs, walkReleaseBlobs, type ReleaseBlob, type ReleaseBlobWalk, type BlobKind } from './blobs.ts';
export {
  diffReleases,
  diffDocuments,
  type ReleaseDiff,
  type ServiceDiff,
  type ComposeChange,
  type ChangeKind,
  type ImageSide,
  type LayerRef,
} from './diff.ts';
