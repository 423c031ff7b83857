// A release's SBOM: the CycloneDX blob its signed manifest references (gzip-compressed since; plain JSON in older
// releases), read back from the store and checked against the digest the signature covers.
import { buffer } from 'node:stream/consumers';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MediaType, sha256 } from '../oci/index.ts';
import type { BlobStore, FsBlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import type { ReleaseArtifact as Artifact } from './manifest.ts';
import type { StoredRelease } from './release-store.ts';

/** Larger than any SBOM Skiff writes (a few MB for thousands of packages); a blob that inflates past it is refused. */
const MAX_SBOM_BYTES = 256 << 20;

const isSbom = (a: Artifact): boolean => a.mediaType === MediaType.cyclonedxJsonGzip || a.mediaType === MediaType.cyclonedxJson;

/** The SBOM artifact the release names (its digest is what a scan report ties to), if it carries one. */
export const sbomArtifact = (release: StoredRelease): Artifact | undefined => release.manifest.sbom.find(isSbom);

/**
 * Stores the SBOM JSON gzip-compressed, as the release will name it. Re-creating an existing version keeps that
 * release's SBOM blob when its JSON is the same (older releases carry it plain, and another zlib may compress the
 * same JSON to other bytes), so the same inputs still make the same release.
 */
export async function storeSbom(store: FsBlobStore, json: Buffer, existing: StoredRelease | undefined): Promise<Artifact> {
  if (existing && sbomArtifact(existing)) {
    const current = await releaseSbom(store, existing).catch(() => undefined);
    if (current?.equals(json)) return sbomArtifact(existing)!;
  }
  const put = await store.put([gzipSync(json, { level: 9 })]);
  return { mediaType: MediaType.cyclonedxJsonGzip, digest: put.digest, size: put.size };
}

/** The SBOM JSON of `release`; NOT_FOUND when it predates SBOMs, DIGEST_MISMATCH when the stored blob was altered. */
export async function releaseSbom(store: BlobStore, release: StoredRelease): Promise<Buffer> {
  const m = release.manifest;
  const ref = sbomArtifact(release);
  if (!ref) throw new SkiffError('NOT_FOUND', `release ${m.app}@${m.version} carries no SBOM (it was created before Skiff made them): create a new version to get one`);
  const bytes = await buffer(await store.get(ref.digest));
  if (sha256(bytes) !== ref.digest || bytes.length !== ref.size)
    throw new SkiffError('DIGEST_MISMATCH', `the SBOM of ${m.app}@${m.version} in the store does not hash to ${ref.digest}, the digest the signed release names: the store is damaged; import the release again`);
  if (ref.mediaType === MediaType.cyclonedxJson) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_SBOM_BYTES });
  } catch (e) {
    // Signed bytes that do not inflate: the release was made that way, not damaged on the way.
    throw new SkiffError('RELEASE_INVALID', `the SBOM of ${m.app}@${m.version} is not a gzip stream of at most ${MAX_SBOM_BYTES >> 20} MiB of JSON (${(e as Error).message}): the release is malformed; create it again with skiff release create`);
  }
}
