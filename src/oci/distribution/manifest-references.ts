// What an image manifest or index points at (config, layers, child manifests), read from its JSON bytes.
import * as z from 'zod';
import { MediaType } from '../constants.ts';
import { isDigest, type Digest } from '../digest.ts';
import { SkiffError } from '../../util/index.ts';

const DescriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.custom<Digest>((v) => isDigest(v), { message: 'not a sha256 digest' }),
  size: z.number().int().nonnegative(),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

const ImageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
});

const ImageIndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
});

const IMAGE_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];
const INDEX_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];

export interface ManifestReferences {
  /** Config and layers of an image manifest (none for an index). */
  readonly blobs: readonly Descriptor[];
  /** Child manifests of an index (none for an image manifest). */
  readonly manifests: readonly Descriptor[];
}

/** Parses manifest bytes of the given media type; throws SkiffError INVALID_INPUT naming `what` when they do not fit. */
export function manifestReferences(bytes: Uint8Array, mediaType: string, what = 'manifest'): ManifestReferences {
  const isImage = IMAGE_TYPES.includes(mediaType);
  if (!isImage && !INDEX_TYPES.includes(mediaType))
    throw new SkiffError('INVALID_INPUT', `${what} has media type "${mediaType}", which is not an OCI or Docker v2 image manifest or index`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new SkiffError('INVALID_INPUT', `${what} is not valid JSON: rebuild or re-import the release`, { cause: e });
  }
  const parsed = (isImage ? ImageManifestSchema : ImageIndexSchema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown shape';
    throw new SkiffError('INVALID_INPUT', `${what} is not a valid ${mediaType} (${where})`);
  }
  const declared = parsed.data.mediaType;
  if (declared !== undefined && declared !== mediaType)
    throw new SkiffError('INVALID_INPUT', `${what} declares media type "${declared}" but was given as "${mediaType}"`);
  if ('config' in parsed.data) return { blobs: [parsed.data.config, ...parsed.data.layers], manifests: [] };
  return { blobs: [], manifests: parsed.data.manifests };
}
