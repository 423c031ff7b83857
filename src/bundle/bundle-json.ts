// skiff/bundle.json is unsigned: these checks hold it to the verified release and to what the bundle carried, so its
// figures can serve as hints (progress) and never decide anything.
import type { Digest } from '../oci/index.ts';
import type { ReleaseManifest, ReleaseBlobWalk } from '../release/index.ts';
import type { BundleIndex } from './format.ts';

/** The first way `index` disagrees with the verified release (identity, its own sums, the image manifests); undefined if none. */
export function indexDisagreement(
  index: BundleIndex,
  release: ReleaseManifest,
  digest: Digest,
): string | undefined {
  const claimed = `${index.app}@${index.version}`;
  const actual = `${release.app}@${release.version}`;
  if (claimed !== actual) return `it names ${claimed}, the release is ${actual}`;
  if (index.releaseDigest !== digest)
    return `it names release ${index.releaseDigest}, the release is ${digest}`;
  const seen = new Set<string>();
  for (const b of index.blobs) {
    if (seen.has(b.digest)) return `it lists blob ${b.digest} twice`;
    seen.add(b.digest);
  }
  const sum = (included: boolean) =>
    index.blobs.filter((b) => b.included === included).reduce((n, b) => n + b.size, 0);
  if (index.includedBytes !== sum(true))
    return `it says includedBytes ${index.includedBytes}, the blobs it lists as included make ${sum(true)}`;
  if (!index.base && index.blobs.some((b) => !b.included))
    return 'it lists blobs as omitted but names no base release';
  if (index.bases && (index.bases.length < 2 || index.bases[0]!.releaseDigest !== index.base?.releaseDigest))
    return 'its bases do not start with its base';
  if (index.omittedBytes !== sum(false))
    return `it says omittedBytes ${index.omittedBytes}, the blobs it lists as omitted make ${sum(false)}`;
  for (const [service, img] of Object.entries(release.images)) {
    const b = index.blobs.find((x) => x.digest === img.manifestDigest);
    if (!b || b.kind !== 'manifest' || b.size !== img.sizes.manifest)
      return `it lists the image manifest of service ${service} (${img.manifestDigest}) ${b ? `as a ${b.size}-byte ${b.kind}` : 'nowhere'}, the signed release says a ${img.sizes.manifest}-byte manifest`;
  }
  return undefined;
}

/** After the read: the first way `index` disagrees with the blobs the release reaches and those the bundle carried. */
export function blobsDisagreement(
  index: BundleIndex,
  walk: ReleaseBlobWalk,
  received: ReadonlySet<Digest>,
): string | undefined {
  const listed = new Map(index.blobs.map((b) => [b.digest, b]));
  for (const blob of walk.blobs) {
    const b = listed.get(blob.digest);
    if (!b) return `it does not list ${blob.kind} ${blob.digest}, which the release reaches`;
    if (b.size !== blob.size || b.kind !== blob.kind)
      return `it lists ${blob.digest} as a ${b.size}-byte ${b.kind}, the signed manifests say a ${blob.size}-byte ${blob.kind}`;
    if (b.included !== received.has(blob.digest))
      return `it lists ${blob.kind} ${blob.digest} as ${b.included ? 'included' : 'omitted'}, the bundle ${received.has(blob.digest) ? 'carries it' : 'does not carry it'}`;
  }
  const reached = new Set(walk.blobs.map((b) => b.digest));
  // Blobs under an image manifest nobody here can read (a delta's base, on `bundle verify`) cannot be told apart.
  for (const b of index.blobs)
    if (!reached.has(b.digest) && (b.included || walk.unknown.length === 0))
      return `it lists ${b.kind} ${b.digest}, which the signed release does not reach`;
  return undefined;
}

/** The message of a bundle refused because bundle.json disagrees: `why` from the two checks above. */
export function bundleJsonMessage(why: string): string {
  return `skiff/bundle.json disagrees with the signed release: ${why} (bundle.json is an unsigned index and was altered): ask the vendor for an intact copy`;
}
