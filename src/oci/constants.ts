// OCI and Docker media types, annotations and header names: the only place these strings are written.

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** A release's SBOM (CycloneDX 1.5 JSON), a blob the signed release manifest references. */
  cyclonedxJson: 'application/vnd.cyclonedx+json',
  /** The same, gzip-compressed: what releases carry since (a tenth of the bytes in every bundle and push). */
  cyclonedxJsonGzip: 'application/vnd.cyclonedx+json+gzip',
} as const;

export const Annotation = {
  refName: 'org.opencontainers.image.ref.name',
  imageVersion: 'org.opencontainers.image.version',
  service: 'dev.skiff.service',
  app: 'dev.skiff.app',
} as const;

export const OciLayoutVersion = '1.0.0';

/** The largest manifest anything reads into memory (registries and the engine refuse larger ones too). */
export const MAX_MANIFEST_BYTES = 4 << 20;

export const Header = {
  contentDigest: 'docker-content-digest',
  apiVersion: 'docker-distribution-api-version',
  wwwAuthenticate: 'www-authenticate',
} as const;

/** Labels the agent puts on every container it owns. */
export const Label = {
  app: 'skiff.app',
  release: 'skiff.release',
  service: 'skiff.service',
  /** sha256 of the container's spec without its release: equal means the service need not restart. */
  configHash: 'skiff.config-hash',
  /** On a hook's one-off container: which hook it runs. */
  hook: 'skiff.hook',
  composeProject: 'com.docker.compose.project',
  composeService: 'com.docker.compose.service',
} as const;

export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.ociManifest,
  MediaType.dockerManifest,
  MediaType.ociIndex,
  MediaType.dockerManifestList,
];

/** Standard HTTP header names the registry API sets or reads (lower case, as Node exposes them). */
export const HttpHeader = {
  contentType: 'content-type',
  contentLength: 'content-length',
  contentRange: 'content-range',
  acceptRanges: 'accept-ranges',
  etag: 'etag',
  ifNoneMatch: 'if-none-match',
  range: 'range',
  allow: 'allow',
} as const;

/** The `/v2/` API version header value every answer carries. */
export const DistributionApiVersion = 'registry/2.0';

/** Error codes of the OCI Distribution Spec (plus distribution's UNKNOWN), used in `{ "errors": [...] }` bodies. */
export const OciErrorCode = {
  blobUnknown: 'BLOB_UNKNOWN',
  blobUploadInvalid: 'BLOB_UPLOAD_INVALID',
  blobUploadUnknown: 'BLOB_UPLOAD_UNKNOWN',
  digestInvalid: 'DIGEST_INVALID',
  manifestBlobUnknown: 'MANIFEST_BLOB_UNKNOWN',
  manifestInvalid: 'MANIFEST_INVALID',
  manifestUnknown: 'MANIFEST_UNKNOWN',
  nameInvalid: 'NAME_INVALID',
  nameUnknown: 'NAME_UNKNOWN',
  sizeInvalid: 'SIZE_INVALID',
  unauthorized: 'UNAUTHORIZED',
  denied: 'DENIED',
  unsupported: 'UNSUPPORTED',
  tooManyRequests: 'TOOMANYREQUESTS',
  unknown: 'UNKNOWN',
} as const;
export type OciErrorCode = (typeof OciErrorCode)[keyof typeof OciErrorCode];
