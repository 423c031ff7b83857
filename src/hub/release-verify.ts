// Checks a pushed release before the hub accepts it: its manifest, its signature against the app's root chain,
// and that every blob it reaches is already in the hub's blob store.
import { buffer } from 'node:stream/consumers';
import { parseImageManifest, type Digest } from '../oci/index.ts';
import { parseReleaseManifest, releaseDigest, type ReleaseManifest, type StoredRelease } from '../release/index.ts';
import type { BlobStore } from '../store/index.ts';
import { parseEnvelope, parseRoot, verifyRelease, verifyRootChain, type RootMeta } from '../trust/index.ts';
import { SkiffError, isSkiffError } from '../util/index.ts';
import { notFound } from './context.ts';
import type { MetadataDb, MetadataReads, ReleaseRecord } from './db/types.ts';

/** The app's root chain as stored, walked from root 1 (each rotation checked); returns the chain and its newest root. */
export async function trustedRoots(db: Pick<MetadataReads, 'listRoots'>, app: string): Promise<{ chain: RootMeta[]; latest: RootMeta }> {
  const records = await db.listRoots(app);
  const chain = records.map((r) => parseRoot(r.root, `root.json version ${r.version} of app "${app}"`));
  const [first, ...rest] = chain;
  if (!first) throw notFound(`app "${app}"`);
  return { chain, latest: verifyRootChain(rest, first) };
}

function keyIdsOf(chain: readonly RootMeta[]): Set<string> {
  return new Set(chain.flatMap((r) => Object.keys(r.signed.keys)));
}

/** Parses and verifies a pushed manifest and signature for `app@version`; returns the release as the hub keeps it. */
export async function verifyPushedRelease(
  db: MetadataDb,
  app: string,
  version: string,
  manifestBytes: Uint8Array,
  sigBytes: Uint8Array,
): Promise<StoredRelease> {
  const manifest = parseReleaseManifest(manifestBytes, 'body.manifest');
  if (manifest.app !== app)
    throw new SkiffError('WRONG_APP', `body.manifest is a release of app "${manifest.app}", not "${app}": push it to /apps/${manifest.app}/releases/${manifest.version}`);
  if (manifest.version !== version)
    throw new SkiffError('RELEASE_INVALID', `body.manifest is version ${manifest.version}, not ${version}: push it to /apps/${app}/releases/${manifest.version}`);
  const envelope = parseEnvelope(sigBytes, 'body.signature');
  const { chain, latest } = await trustedRoots(db, app);
  try {
    verifyRelease(latest, manifestBytes, envelope, chain);
  } catch (e) {
    const known = keyIdsOf(chain);
    if (isSkiffError(e, 'SIGNATURE_INVALID') && !envelope.signatures.some((s) => known.has(s.keyid)))
      throw new SkiffError(
        'SIGNATURE_INVALID',
        `release ${app}@${version} is signed by key(s) the hub does not know for app "${app}" (its root version ${latest.signed.version}); if the vendor rotated keys, push the new root.json with skiff app roots (POST /api/v1/apps/${app}/roots) first`,
        { cause: e },
      );
    throw e;
  }
  return { manifest, bytes: Buffer.from(manifestBytes), sig: Buffer.from(sigBytes), digest: releaseDigest(manifestBytes) };
}

async function requirePresent(blobs: BlobStore, digest: Digest, what: string, release: string): Promise<void> {
  if (!(await blobs.has(digest)))
    throw new SkiffError('RELEASE_INVALID', `release ${release} reaches ${what} ${digest}, which the hub does not have: upload its blobs first (skiff release push does)`);
}

/** Throws RELEASE_INVALID naming the first blob (image manifest, config, layer, SBOM, content index) the release reaches that the store lacks. */
export async function requireReleaseBlobs(blobs: BlobStore, manifest: ReleaseManifest): Promise<void> {
  const release = `${manifest.app}@${manifest.version}`;
  for (const service of Object.keys(manifest.images).sort()) {
    const img = manifest.images[service];
    if (!img) continue;
    await requirePresent(blobs, img.manifestDigest, `the image manifest of service ${service}`, release);
    const image = parseImageManifest(await buffer(await blobs.get(img.manifestDigest)), `image manifest of service ${service}`);
    if (image.config.digest !== img.configDigest)
      throw new SkiffError('RELEASE_INVALID', `release ${release}: the image manifest of service ${service} names config ${image.config.digest}, not ${img.configDigest}`);
    await requirePresent(blobs, image.config.digest, `the image config of service ${service}`, release);
    for (const layer of image.layers) await requirePresent(blobs, layer.digest, `a layer of service ${service}`, release);
  }
  for (const a of manifest.sbom) await requirePresent(blobs, a.digest, 'its SBOM', release);
  for (const a of manifest.contentIndex ?? []) await requirePresent(blobs, a.digest, `the content index of layer ${a.layer}`, release);
}

/** The release as the bundle writer takes it, from a stored record. */
export function storedReleaseOf(rec: ReleaseRecord): StoredRelease {
  const manifest = parseReleaseManifest(rec.manifest, `stored release ${rec.app}@${rec.version}`);
  return { manifest, bytes: Buffer.from(rec.manifest), sig: Buffer.from(rec.signature), digest: releaseDigest(rec.manifest) };
}
