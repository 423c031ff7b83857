// The blobs a release reaches — image manifests, configs, layers — read from a content store, in bundle order.
import { buffer } from 'node:stream/consumers';
import type { BlobStore } from '../store/index.ts';
import { parseImageManifest } from '../oci/manifest.ts';
import type { Digest } from '../oci/digest.ts';
import type { ReleaseManifest } from './manifest.ts';

export type BlobKind = 'manifest' | 'config' | 'layer';

export interface ReleaseBlob {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
  readonly kind: BlobKind;
  /** Services whose image reaches it. */
  readonly services: readonly string[];
}

/** Manifests first, then configs, then layers (services in name order), each digest once. */
export async function releaseBlobs(store: BlobStore, release: ReleaseManifest): Promise<ReleaseBlob[]> {
  const byDigest = new Map<Digest, { blob: Omit<ReleaseBlob, 'services'>; services: string[] }>();
  const order: Record<BlobKind, Digest[]> = { manifest: [], config: [], layer: [] };
  const add = (digest: Digest, size: number, mediaType: string, kind: BlobKind, service: string): void => {
    const seen = byDigest.get(digest);
    if (seen) {
      if (!seen.services.includes(service)) seen.services.push(service);
      return;
    }
    byDigest.set(digest, { blob: { digest, size, mediaType, kind }, services: [service] });
    order[kind].push(digest);
  };
  for (const service of Object.keys(release.images).sort()) {
    const img = release.images[service];
    if (!img) continue;
    const bytes = await buffer(await store.get(img.manifestDigest));
    const m = parseImageManifest(bytes, `image manifest of ${service}`);
    add(img.manifestDigest, bytes.length, img.manifestMediaType, 'manifest', service);
    add(m.config.digest, m.config.size, m.config.mediaType, 'config', service);
    for (const l of m.layers) add(l.digest, l.size, l.mediaType, 'layer', service);
  }
  return [...order.manifest, ...order.config, ...order.layer].map((d) => {
    const e = byDigest.get(d);
    if (!e) throw new Error('unreachable');
    return { ...e.blob, services: e.services };
  });
}
