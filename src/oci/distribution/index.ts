// The OCI Distribution pull API: a Fastify plugin and its seams, shared by the agent's loopback registry and the hub.
export { distributionPlugin } from './plugin.ts';
export type { DistributionOptions, PullResolver, ResolvedManifest } from './types.ts';
export { isRepositoryName, isTag, parseReference, type Reference } from './names.ts';
export { parseRange, type ByteRange } from './range.ts';
export { RegistryError, errorBody, toRegistryError, type OciErrorBody } from './registry-error.ts';
export { manifestReferences, type ManifestReferences, type Descriptor } from './manifest-references.ts';
