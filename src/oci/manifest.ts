// Image manifests (OCI and Docker v2 schema 2): parsing and the blobs one reaches.
import * as z from 'zod';
import { isDigest, type Digest } from './digest.ts';
import { SkiffError } from '../util/index.ts';

const Descriptor = z.object({
  mediaType: z.string(),
  digest: z.string().refine(isDigest, 'not a sha256 digest'),
  size: z.number().int().nonnegative(),
});

const ImageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
});

export interface BlobDescriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
}

export interface ImageManifest {
  readonly config: BlobDescriptor;
  readonly layers: readonly BlobDescriptor[];
}

export function parseImageManifest(bytes: Uint8Array, what = 'image manifest'): ImageManifest {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new SkiffError('BUNDLE_INVALID', `${what} is not JSON`);
  }
  const r = ImageManifestSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SkiffError('BUNDLE_INVALID', `${what}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} (only single-platform image manifests are supported)`);
  }
  const d = (x: z.infer<typeof Descriptor>): BlobDescriptor => ({ mediaType: x.mediaType, digest: x.digest as Digest, size: x.size });
  return { config: d(r.data.config), layers: r.data.layers.map(d) };
}
