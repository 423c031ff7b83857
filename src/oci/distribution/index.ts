// The OCI Distribution pull API: a Fastify plugin and its seams, used by the hub's /v2/.
export { distributionPlugin } from './plugin.ts';
export type { DistributionOptions, PullResolver, ResolvedManifest } from './types.ts';
export { isRepositoryName, isTag, parseReference, type Reference } from './names.ts';
export { parseRange, type ByteRange } from './range.ts';
export { RegistryError, errorBody, toRegistryError, type OciErrorBody } from './registry-error.ts';
export { manifestReferences, type ManifestReferences, type Descriptor } from './manifest-references.ts';
