// A release's SBOM: the CycloneDX blob its signed manifest references, read back from the store and checked against
// the digest the signature covers.
import { buffer } from 'node:stream/consumers';
import { MediaType, sha256 } from '../oci/index.ts';
import type { BlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import type { StoredRelease } from './release-store.ts';

/** The SBOM bytes of `release`; NOT_FOUND when it predates SBOMs, DIGEST_MISMATCH when the stored blob was altered. */
export async function releaseSbom(store: BlobStore, release: StoredRelease): Promise<Buffer> {
  const m = release.manifest;
  const ref = m.sbom.find((a) => a.mediaType === MediaType.cyclonedxJson);
  if (!ref) throw new SkiffError('NOT_FOUND', `release ${m.app}@${m.version} carries no SBOM (it was created before Skiff made them): create a new version to get one`);
  const bytes = await buffer(await store.get(ref.digest));
  if (sha256(bytes) !== ref.digest || bytes.length !== ref.size)
    throw new SkiffError('DIGEST_MISMATCH', `the SBOM of ${m.app}@${m.version} in the store does not hash to ${ref.digest}, the digest the signed release names: the store is damaged; import the release again`);
  return bytes;
}
