// Compares two releases: services, images and layers, the bytes a delta bundle would carry, and Compose changes.
import { buffer } from 'node:stream/consumers';
import { isDeepStrictEqual } from 'node:util';
import type { BlobStore } from '../store/index.ts';
import { parseImageManifest, type Digest } from '../oci/index.ts';
import { releaseBlobs } from './blobs.ts';
import type { ReleaseImage } from './manifest.ts';
import type { StoredRelease } from './release-store.ts';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface LayerRef {
  readonly digest: Digest;
  readonly size: number;
}

export interface ImageSide {
  readonly ref: string;
  readonly manifestDigest: Digest;
  readonly configDigest: Digest;
  readonly size: number;
}

export interface ServiceDiff {
  readonly service: string;
  readonly status: ChangeKind | 'unchanged';
  readonly imageChanged: boolean;
  readonly from?: ImageSide;
  readonly to?: ImageSide;
  readonly layersAdded: readonly LayerRef[];
  readonly layersRemoved: readonly LayerRef[];
}

export interface ComposeChange {
  /** Dotted path into the Compose document, e.g. `services.web.image`. */
  readonly path: string;
  readonly kind: ChangeKind;
  readonly from?: unknown;
  readonly to?: unknown;
}

export interface ReleaseDiff {
  readonly app: string;
  readonly from: { readonly version: string; readonly digest: Digest };
  readonly to: { readonly version: string; readonly digest: Digest };
  readonly services: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly changed: readonly string[];
  };
  readonly images: readonly ServiceDiff[];
  /** Blobs of `to` that `from` lacks: what a delta bundle from `from` carries. */
  readonly delta: { readonly blobs: number; readonly bytes: number };
  readonly compose: readonly ComposeChange[];
}

async function layersOf(store: BlobStore, img: ReleaseImage | undefined): Promise<LayerRef[]> {
  if (!img) return [];
  const m = parseImageManifest(
    await buffer(await store.get(img.manifestDigest)),
    `image manifest ${img.manifestDigest}`,
  );
  return m.layers.map((l) => ({ digest: l.digest, size: l.size }));
}

const side = (img: ReleaseImage | undefined): ImageSide | undefined =>
  img && {
    ref: img.ref,
    manifestDigest: img.manifestDigest,
    configDigest: img.configDigest,
    size: img.sizes.total,
  };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const pathOf = (parent: string, key: string): string => {
  const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return parent ? `${parent}.${part}` : part;
};

/** Structural diff of two documents: mappings are walked key by key, anything else (lists, scalars) compared whole. */
export function diffDocuments(a: unknown, b: unknown, path = ''): ComposeChange[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (!isRecord(a) || !isRecord(b)) return [{ path: path || '.', kind: 'changed', from: a, to: b }];
  const changes: ComposeChange[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const p = pathOf(path, key);
    if (!(key in b)) changes.push({ path: p, kind: 'removed', from: a[key] });
    else if (!(key in a)) changes.push({ path: p, kind: 'added', to: b[key] });
    else changes.push(...diffDocuments(a[key], b[key], p));
  }
  return changes;
}

const servicesOf = (compose: unknown): Record<string, unknown> => {
  const services = isRecord(compose) ? compose['services'] : undefined;
  return isRecord(services) ? services : {};
};

/** What changes from release `a` to release `b` (usually an older and a newer version of one app). */
export async function diffReleases(
  store: BlobStore,
  a: StoredRelease,
  b: StoredRelease,
): Promise<ReleaseDiff> {
  const ma = a.manifest;
  const mb = b.manifest;
  const specA = servicesOf(ma.compose);
  const specB = servicesOf(mb.compose);
  const names = [...new Set([...Object.keys(ma.images), ...Object.keys(mb.images)])].sort();
  const images: ServiceDiff[] = [];
  for (const service of names) {
    const ia = ma.images[service];
    const ib = mb.images[service];
    const [la, lb] = await Promise.all([layersOf(store, ia), layersOf(store, ib)]);
    const inA = new Set(la.map((l) => l.digest));
    const inB = new Set(lb.map((l) => l.digest));
    const imageChanged = ia?.manifestDigest !== ib?.manifestDigest;
    const status = !ia
      ? 'added'
      : !ib
        ? 'removed'
        : imageChanged || !isDeepStrictEqual(specA[service], specB[service])
          ? 'changed'
          : 'unchanged';
    const from = side(ia);
    const to = side(ib);
    images.push({
      service,
      status,
      imageChanged,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      layersAdded: lb.filter((l) => !inA.has(l.digest)),
      layersRemoved: la.filter((l) => !inB.has(l.digest)),
    });
  }
  const baseHas = new Set((await releaseBlobs(store, ma)).map((x) => x.digest));
  const carried = (await releaseBlobs(store, mb)).filter((x) => !baseHas.has(x.digest));
  const withStatus = (s: ChangeKind): string[] => images.filter((i) => i.status === s).map((i) => i.service);
  return {
    app: mb.app,
    from: { version: ma.version, digest: a.digest },
    to: { version: mb.version, digest: b.digest },
    services: { added: withStatus('added'), removed: withStatus('removed'), changed: withStatus('changed') },
    images,
    delta: { blobs: carried.length, bytes: carried.reduce((n, x) => n + x.size, 0) },
    compose: diffDocuments(ma.compose, mb.compose),
  };
}
