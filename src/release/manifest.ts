// The release manifest: its schema, canonical bytes (what is signed and hashed) and parsing.
import * as z from 'zod';
import { canonicalJson } from '../trust/index.ts';
import { isDigest, sha256, type Digest } from '../oci/index.ts';
import { SkiffError } from '../util/index.ts';

export const RELEASE_SCHEMA = 'skiff.dev/release/v1';
/** The image name under which a release carries the skiff-agent image (release create --agent-image); no service runs it. */
export const AGENT_IMAGE = 'skiff-agent';

const digest = z.string().refine(isDigest, 'not a sha256 digest') as unknown as z.ZodType<Digest>;

const ImageEntry = z.object({
  ref: z.string(),
  manifestDigest: digest,
  manifestMediaType: z.string(),
  configDigest: digest,
  platform: z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() }),
  sizes: z.object({
    manifest: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    /** Each layer's uncompressed tar, in the image manifest's order: the agent sends the engine tars it inflated itself. Absent in older releases. */
    layerTars: z.array(z.number().int().nonnegative()).optional(),
  }),
});

const Setting = z.object({
  name: z.string(),
  type: z.enum(['string', 'number', 'boolean', 'port']),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  required: z.boolean(),
  secret: z.boolean(),
  description: z.string().optional(),
});

/** A blob the release carries beside its images (the SBOM), referenced by digest so the release signature covers it. */
const Artifact = z.object({ mediaType: z.string(), digest, size: z.number().int().nonnegative() });

/** A layer's content index (chunks and the recipe of its tar), the way SBOMs are referenced; content-level deltas use it. */
const LayerIndexRef = Artifact.extend({ layer: digest });

export const ReleaseManifestSchema = z.object({
  schema: z.literal(RELEASE_SCHEMA),
  app: z.string(),
  version: z.string(),
  createdAt: z.string(),
  channelHints: z.array(z.string()),
  images: z.record(z.string(), ImageEntry),
  compose: z.unknown(),
  configSchema: z.array(Setting),
  hooks: z.record(z.string(), z.unknown()),
  changelog: z.string(),
  minAgentVersion: z.string(),
  sbom: z.array(Artifact),
  /** Absent in releases made before content-level deltas: their bundles carry whole layers. */
  contentIndex: z.array(LayerIndexRef).optional(),
});

export type ReleaseManifest = z.infer<typeof ReleaseManifestSchema>;
export type ReleaseImage = z.infer<typeof ImageEntry>;
export type ReleaseArtifact = z.infer<typeof Artifact>;

export function releaseBytes(manifest: ReleaseManifest): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

export function releaseDigest(bytes: Uint8Array): Digest {
  return sha256(bytes);
}

/** Parses release.json bytes; they must already be canonical, so the digest is stable. */
export function parseReleaseManifest(bytes: Uint8Array, what = 'release.json'): ReleaseManifest {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new SkiffError('RELEASE_INVALID', `${what} is not JSON: the file is corrupt`);
  }
  const parsed = ReleaseManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkiffError('RELEASE_INVALID', `${what}: ${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'}`);
  }
  if (!Buffer.from(bytes).equals(releaseBytes(parsed.data)))
    throw new SkiffError('RELEASE_INVALID', `${what} is not in canonical form: it was edited after signing`);
  return parsed.data;
}

/**
 * The release without the fields that differ between two creations of the same content: its time, and the layers' tar
 * sizes, which follow from the (content-addressed) layers and which releases made before they were recorded lack.
 */
export function releaseContent(m: ReleaseManifest): string {
  const { createdAt: _c, images, ...rest } = m;
  const bare = Object.fromEntries(
    Object.entries(images).map(([service, img]) => {
      const { layerTars: _t, ...sizes } = img.sizes;
      return [service, { ...img, sizes }];
    }),
  );
  return canonicalJson({ ...rest, images: bare });
}
