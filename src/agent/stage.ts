// Stages a release's images in the engine before anything stops: the images the engine lacks are loaded from the
// verified store as one docker-archive (no registry hop, no port), then each image is tagged so it is kept for rollback.
import { buffer } from 'node:stream/consumers';
import type { AgentEngine } from '../engine/index.ts';
import { MAX_MANIFEST_BYTES, parseImageManifest, sha256, type Digest } from '../oci/index.ts';
import type { ReleaseManifest } from '../release/index.ts';
import type { BlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import { imageRepo } from './containers.ts';
import { imageId, loadVerifiedImages } from './image-load.ts';
import type { ArchiveImage } from './docker-archive.ts';

export async function stageImages(engine: AgentEngine, blobs: BlobStore, release: ReleaseManifest, signal?: AbortSignal): Promise<void> {
  const missing: ArchiveImage[] = [];
  for (const [service, img] of Object.entries(release.images)) {
    if (await engine.imageInspect(imageId(img.configDigest), signal)) continue;
    const manifest = parseImageManifest(await readManifest(blobs, img.manifestDigest, `manifest ${img.manifestDigest} of ${release.app}/${service}`));
    if (manifest.config.digest !== img.configDigest)
      throw new SkiffError('DIGEST_MISMATCH', `manifest ${img.manifestDigest} of ${release.app}/${service} names config ${manifest.config.digest}, the signed release ${img.configDigest}: the store is corrupt, import the release again`);
    missing.push({ manifest, tarSizes: img.sizes.layerTars });
  }
  if (missing.length > 0) await loadVerifiedImages(engine, release.app, missing, (d) => blobs.get(d, { signal }), signal);
  await tagAll(engine, release, signal);
}

async function readManifest(blobs: BlobStore, digest: Digest, what: string): Promise<Buffer> {
  const stat = await blobs.stat(digest);
  if (!stat) throw new SkiffError('BLOB_UNKNOWN', `${what} is not in the content store: fetch or import the release again`);
  if (stat.size > MAX_MANIFEST_BYTES) throw new SkiffError('INVALID_INPUT', `${what} has ${stat.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte manifest limit`);
  const bytes = await buffer(await blobs.get(digest));
  if (sha256(bytes) !== digest) throw new SkiffError('DIGEST_MISMATCH', `${what} in the content store hashes to ${sha256(bytes)}: the store is corrupt, import the release again`);
  return bytes;
}

/** Tags the release's images as `skiff/<app>/<service>:<version>`. */
async function tagAll(engine: AgentEngine, release: ReleaseManifest, signal?: AbortSignal): Promise<void> {
  for (const [service, img] of Object.entries(release.images)) await engine.imageTag(imageId(img.configDigest), imageRepo(release.app, service), release.version, signal);
}
