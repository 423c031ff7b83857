// The blobs a release reaches — image manifests, configs, layers, its SBOM, then its layers' content indexes — in bundle order: the one walk of a release's blobs.
import { buffer } from 'node:stream/consumers';
import type { BlobStore } from '../store/index.ts';
import { parseImageManifest, type ImageManifest, type Digest } from '../oci/index.ts';
import { SkiffError } from '../util/index.ts';
import type { ReleaseManifest } from './manifest.ts';

export type BlobKind = 'manifest' | 'config' | 'layer' | 'sbom' | 'index';

export interface ReleaseBlob {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
  readonly kind: BlobKind;
  /** Services whose image reaches it. */
  readonly services: readonly string[];
}

export interface ReleaseBlobWalk {
  /** Every image manifest (sizes from the signed release), then the configs and layers of the manifests given. */
  readonly blobs: readonly ReleaseBlob[];
  /** Image manifests the walk could not read: what they reach is unknown. */
  readonly unknown: readonly Digest[];
}

/**
 * Walks `release` through the image manifests in `manifests` (by digest, already parsed and hashed); manifests
 * absent from it are listed in `unknown`. Manifests first, then configs, then layers (services in name order), then the
 * release's SBOM blobs and layer indexes, each digest once.
 */
export function walkReleaseBlobs(
  release: ReleaseManifest,
  manifests: ReadonlyMap<Digest, ImageManifest>,
): ReleaseBlobWalk {
  const byDigest = new Map<Digest, { blob: Omit<ReleaseBlob, 'services'>; services: string[] }>();
  const order: Record<BlobKind, Digest[]> = { manifest: [], config: [], layer: [], sbom: [], index: [] };
  const add = (digest: Digest, size: number, mediaType: string, kind: BlobKind, service: string): void => {
    const seen = byDigest.get(digest);
    if (seen) {
      if (!seen.services.includes(service)) seen.services.push(service);
      return;
    }
    byDigest.set(digest, { blob: { digest, size, mediaType, kind }, services: [service] });
    order[kind].push(digest);
  };
  const unknown: Digest[] = [];
  for (const service of Object.keys(release.images).sort()) {
    const img = release.images[service];
    if (!img) continue;
    add(img.manifestDigest, img.sizes.manifest, img.manifestMediaType, 'manifest', service);
    const m = manifests.get(img.manifestDigest);
    if (!m) {
      if (!unknown.includes(img.manifestDigest)) unknown.push(img.manifestDigest);
      continue;
    }
    if (m.config.digest !== img.configDigest)
      throw new SkiffError(
        'RELEASE_INVALID',
        `release ${release.app}@${release.version}: the image manifest of service ${service} names config ${m.config.digest}, the release says ${img.configDigest}`,
      );
    add(m.config.digest, m.config.size, m.config.mediaType, 'config', service);
    for (const l of m.layers) add(l.digest, l.size, l.mediaType, 'layer', service);
  }
  for (const a of release.sbom)
    if (!byDigest.has(a.digest)) {
      byDigest.set(a.digest, { blob: { digest: a.digest, size: a.size, mediaType: a.mediaType, kind: 'sbom' }, services: [] });
      order.sbom.push(a.digest);
    }
  for (const a of release.contentIndex ?? [])
    if (!byDigest.has(a.digest)) {
      byDigest.set(a.digest, { blob: { digest: a.digest, size: a.size, mediaType: a.mediaType, kind: 'index' }, services: [] });
      order.index.push(a.digest);
    }
  const blobs = [...order.manifest, ...order.config, ...order.layer, ...order.sbom, ...order.index].map((d) => {
    const e = byDigest.get(d);
    if (!e) throw new Error('unreachable');
    return { ...e.blob, services: e.services };
  });
  return { blobs, unknown };
}

/** Every blob `release` reaches, its image manifests read from `store` (which must hold them all). */
export async function releaseBlobs(store: BlobStore, release: ReleaseManifest): Promise<ReleaseBlob[]> {
  const manifests = new Map<Digest, ImageManifest>();
  for (const service of Object.keys(release.images).sort()) {
    const img = release.images[service];
    if (!img || manifests.has(img.manifestDigest)) continue;
    const bytes = await buffer(await store.get(img.manifestDigest));
    manifests.set(img.manifestDigest, parseImageManifest(bytes, `image manifest of ${service}`));
  }
  return [...walkReleaseBlobs(release, manifests).blobs];
}
