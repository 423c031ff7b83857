// The .skiff bundle format: entry names, bundle.json, and the fixed tar headers that make bundles reproducible.
import { z } from 'zod';
import { isDigest, type Digest } from '../oci/digest.ts';

export const BUNDLE_SCHEMA = 'skiff.dev/bundle/v1';

export const Entry = {
  trustDir: 'skiff/trust/',
  root: (n: number) => `skiff/trust/root.${n}.json`,
  release: 'skiff/release.json',
  signature: 'skiff/release.sig',
  index: 'skiff/bundle.json',
  ociLayout: 'oci-layout',
  ociIndex: 'index.json',
  blobsDir: 'blobs/sha256/',
  blob: (d: Digest) => `blobs/sha256/${d.slice(7)}`,
} as const;

export const ROOT_ENTRY_RE = /^skiff\/trust\/root\.(\d+)\.json$/;
export const BLOB_ENTRY_RE = /^blobs\/sha256\/([a-f0-9]{64})$/;

/** Fixed header fields: the same release always yields byte-identical bundles. */
export const FIXED_HEADER = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' } as const;

const BundleBlob = z.object({
  digest: z.string().refine(isDigest),
  size: z.number().int().nonnegative(),
  mediaType: z.string(),
  kind: z.enum(['manifest', 'config', 'layer']),
  included: z.boolean(),
});

export const BundleIndexSchema = z.object({
  schema: z.literal(BUNDLE_SCHEMA),
  app: z.string(),
  version: z.string(),
  releaseDigest: z.string().refine(isDigest),
  base: z.object({ version: z.string(), releaseDigest: z.string().refine(isDigest) }).optional(),
  blobs: z.array(BundleBlob),
  includedBytes: z.number().int().nonnegative(),
  omittedBytes: z.number().int().nonnegative(),
});

export type BundleIndex = z.infer<typeof BundleIndexSchema>;
export type BundleBlobEntry = z.infer<typeof BundleBlob>;

/** Small entries (metadata) are buffered; anything larger is refused before it is read. */
export const MAX_METADATA_BYTES = 4 << 20;
