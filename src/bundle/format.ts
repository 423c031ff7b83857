// The .skiff bundle format: entry names, bundle.json, and the fixed tar headers that make bundles reproducible.
import * as z from 'zod';
import { MAX_MANIFEST_BYTES, isDigest, type Digest } from '../oci/index.ts';

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
  /** `docker save`'s index, last: `docker load -i BUNDLE` loads the images whose blobs the bundle carries. */
  dockerManifest: 'manifest.json',
  blob: (d: Digest) => `blobs/sha256/${d.slice(7)}`,
  /** A content-level delta's chunk pack for the layer `d` (rebuilt at the agent from its recipe), after every blob. */
  chunks: (d: Digest) => `skiff/chunks/${d.slice(7)}`,
} as const;

export const ROOT_ENTRY_RE = /^skiff\/trust\/root\.(\d+)\.json$/;
export const BLOB_ENTRY_RE = /^blobs\/sha256\/([a-f0-9]{64})$/;
export const CHUNKS_ENTRY_RE = /^skiff\/chunks\/([a-f0-9]{64})$/;

/** Fixed header fields: the same release always yields byte-identical bundles. */
export const FIXED_HEADER = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' } as const;

const BundleBlob = z.object({
  digest: z.string().refine(isDigest),
  size: z.number().int().nonnegative(),
  mediaType: z.string(),
  kind: z.enum(['manifest', 'config', 'layer', 'sbom', 'index']),
  included: z.boolean(),
});

const BaseRef = z.object({ version: z.string(), releaseDigest: z.string().refine(isDigest) });

export const BundleIndexSchema = z.object({
  schema: z.literal(BUNDLE_SCHEMA),
  app: z.string(),
  version: z.string(),
  releaseDigest: z.string().refine(isDigest),
  base: BaseRef.optional(),
  /** A delta that applies to any one of several bases names them all here (`base` is the first); absent for one base. */
  bases: z.array(BaseRef).optional(),
  blobs: z.array(BundleBlob),
  /** Blobs are age files (`<digest>.age`) for these recipients; a hint like the rest of bundle.json. */
  encryption: z.object({ scheme: z.literal('age'), recipients: z.array(z.string()) }).optional(),
  includedBytes: z.number().int().nonnegative(),
  omittedBytes: z.number().int().nonnegative(),
  /** Layers listed as omitted that the bundle rebuilds from a chunk pack (skiff/chunks/<layer>) and the base's chunks; `codec` absent: brotli. */
  packs: z.array(z.object({ layer: z.string().refine(isDigest), digest: z.string().refine(isDigest), size: z.number().int().nonnegative(), codec: z.enum(['brotli', 'deflate']).optional() })).optional(),
});

export type BundleIndex = z.infer<typeof BundleIndexSchema>;
export type BundleBlobEntry = z.infer<typeof BundleBlob>;

/** The releases a delta applies to (any one of them suffices), as bundle.json names them; empty for a full bundle. */
export const bundleBases = (index: BundleIndex): readonly z.infer<typeof BaseRef>[] => index.bases ?? (index.base ? [index.base] : []);

/** The bases for a message: `app@1.0.0 or app@1.1.0`. */
export const basesText = (app: string, index: BundleIndex): string => bundleBases(index).map((b) => `${app}@${b.version}`).join(' or ') || 'its base release';

/**
 * What a reader may hold in memory, the one home of these limits: every entry it buffers has a ceiling checked
 * against its tar header before a byte is read, and so do the number of roots, of entries, and the sum held at once.
 */
export const BundleLimits = {
  /** One root.json: a few keys and signatures take a few KiB (TUF clients allow 500 kB). */
  rootBytes: 128 << 10,
  /** The carried chain: one root per key rotation since root 1. */
  roots: 64,
  releaseBytes: MAX_MANIFEST_BYTES,
  signatureBytes: 64 << 10,
  /** skiff/bundle.json lists every blob (about 200 bytes each). */
  indexBytes: MAX_MANIFEST_BYTES,
  ociLayoutBytes: 4 << 10,
  ociIndexBytes: MAX_MANIFEST_BYTES,
  dockerManifestBytes: MAX_MANIFEST_BYTES,
  manifestBytes: MAX_MANIFEST_BYTES,
  /** Kept until the end of the read: the chain, release.json, release.sig and bundle.json. */
  retainedBytes: 16 << 20,
  /** Every tar entry, directories included: far above what a release of hundreds of images needs. */
  entries: 65_536,
} as const;

/** The buffered entry `name` is, and its ceiling; undefined for blobs other than image manifests (streamed, never held). */
export function entryLimit(name: string): { readonly what: string; readonly limit: number } | undefined {
  if (ROOT_ENTRY_RE.test(name)) return { what: 'a root.json', limit: BundleLimits.rootBytes };
  switch (name) {
    case Entry.release:
      return { what: 'a release manifest', limit: BundleLimits.releaseBytes };
    case Entry.signature:
      return { what: 'a signature envelope', limit: BundleLimits.signatureBytes };
    case Entry.index:
      return { what: 'bundle.json', limit: BundleLimits.indexBytes };
    case Entry.ociLayout:
      return { what: 'oci-layout', limit: BundleLimits.ociLayoutBytes };
    case Entry.ociIndex:
      return { what: 'an OCI index', limit: BundleLimits.ociIndexBytes };
    case Entry.dockerManifest:
      return { what: "docker load's manifest.json", limit: BundleLimits.dockerManifestBytes };
    default:
      return undefined;
  }
}
