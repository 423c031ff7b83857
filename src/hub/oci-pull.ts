// What the hub's /v2/ pull API serves to a caller: `<app>/<service>` of the releases the caller is entitled to, nothing else.
import { buffer } from 'node:stream/consumers';
import { MAX_MANIFEST_BYTES, isDigest, sha256, type Digest } from '../oci/index.ts';
import { manifestReferences, type PullResolver, type ResolvedManifest } from '../oci/distribution/index.ts';
import { parseReleaseManifest, type ReleaseManifest } from '../release/index.ts';
import type { BlobStore } from '../store/index.ts';
import { isSkiffError, SkiffError } from '../util/index.ts';
import type { Principal } from './auth/principal.ts';
import type { HubAccess } from './access.ts';
import type { ReleaseRecord } from './db/types.ts';

/** Parsed release and image manifests kept in memory; both are immutable (content-addressed), so entries never go stale. */
const CACHE_ENTRIES = 512;

/** What one image of a release serves: its manifests (an image, or an index and the children the store holds) and the blobs they reach. */
interface ServedImage {
  readonly manifests: ReadonlyMap<Digest, ResolvedManifest>;
  readonly blobs: ReadonlySet<Digest>;
}

interface ServedTag {
  readonly version: string;
  readonly manifestDigest: Digest;
  readonly manifestMediaType: string;
}

/** A bounded map that forgets its oldest entry first. */
class BoundedCache<K, V> {
  readonly #map = new Map<K, V>();
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  get(key: K): V | undefined {
    return this.#map.get(key);
  }
  delete(key: K): void {
    this.#map.delete(key);
  }
  set(key: K, value: V): void {
    this.#map.set(key, value);
    if (this.#map.size > this.#limit) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }
}

/** Splits `<app>/<service>`; undefined for any other shape. */
export function splitPullName(name: string): { app: string; service: string } | undefined {
  const parts = name.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { app: parts[0], service: parts[1] };
}

export class HubPullResolver implements PullResolver {
  readonly #access: HubAccess;
  readonly #blobs: BlobStore;
  readonly #releases = new BoundedCache<string, ReleaseManifest>(CACHE_ENTRIES);
  readonly #images = new BoundedCache<Digest, Promise<ServedImage>>(CACHE_ENTRIES);

  constructor(access: HubAccess, blobs: BlobStore) {
    this.#access = access;
    this.#blobs = blobs;
  }

  async resolveManifest(name: string, reference: string, ctx: unknown): Promise<ResolvedManifest | undefined> {
    const { images, blocked } = await this.#imagesOf(name, ctx);
    if (!isDigest(reference)) {
      const tagged = images.find((i) => i.version === reference);
      if (!tagged && blocked.has(reference)) throw blocked.get(reference);
      return tagged ? { digest: tagged.manifestDigest, mediaType: tagged.manifestMediaType } : undefined;
    }
    for (const image of images) {
      const served = await this.#served(image.manifestDigest, image.manifestMediaType, name);
      const found = served.manifests.get(reference);
      if (found) return found;
    }
    return undefined;
  }

  async blobVisible(name: string, digest: Digest, ctx: unknown): Promise<boolean> {
    const images = await this.#imagesOf(name, ctx).then(
      (served) => served.images,
      (e: unknown) => {
        if (isSkiffError(e, 'NOT_FOUND')) return [];
        throw e;
      },
    );
    for (const image of images) {
      if ((await this.#served(image.manifestDigest, image.manifestMediaType, name)).blobs.has(digest)) return true;
    }
    return false;
  }

  /**
   * The images the name serves to the caller, newest release first, and the versions it may not pull yet (a required
   * release comes first); NOT_FOUND (→ NAME_UNKNOWN) when it serves none.
   */
  async #imagesOf(name: string, ctx: unknown): Promise<{ images: ServedTag[]; blocked: ReadonlyMap<string, SkiffError> }> {
    const unknown = new SkiffError('NOT_FOUND', `repository ${name.slice(0, 200)} is not known to this hub or not in your entitlements; names are <app>/<service>`);
    const split = splitPullName(name);
    const p = ctx as Principal | undefined;
    if (!split || !p) throw unknown;
    const { releases, blocked } = await this.#access.pullable(p, split.app);
    const images: ServedTag[] = [];
    for (const rec of releases) {
      const image = this.#manifestOf(rec).images[split.service];
      if (image) images.push({ version: rec.version, manifestDigest: image.manifestDigest, manifestMediaType: image.manifestMediaType });
    }
    if (images.length === 0 && blocked.size === 0) throw unknown;
    return { images, blocked };
  }

  #manifestOf(rec: ReleaseRecord): ReleaseManifest {
    const cached = this.#releases.get(rec.digest);
    if (cached) return cached;
    const parsed = parseReleaseManifest(rec.manifest, `release ${rec.app}@${rec.version}`);
    this.#releases.set(rec.digest, parsed);
    return parsed;
  }

  #served(digest: Digest, mediaType: string, name: string): Promise<ServedImage> {
    let served = this.#images.get(digest);
    if (!served) {
      served = collectServed(this.#blobs, digest, mediaType, name);
      this.#images.set(digest, served);
      // A failed read (store briefly unreachable) is retried on the next request, not remembered.
      served.catch(() => this.#images.delete(digest));
    }
    return served;
  }
}

async function collectServed(blobs: BlobStore, digest: Digest, mediaType: string, name: string): Promise<ServedImage> {
  const manifests = new Map<Digest, ResolvedManifest>();
  const reached = new Set<Digest>();
  const pending: ResolvedManifest[] = [{ digest, mediaType }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (manifests.has(next.digest)) continue;
    const what = `manifest ${next.digest} of ${name}`;
    const refs = manifestReferences(await readManifest(blobs, next.digest, what), next.mediaType, what);
    manifests.set(next.digest, next);
    for (const blob of refs.blobs) reached.add(blob.digest);
    // Children of an index that the hub does not hold (other platforms) stay unknown.
    for (const child of refs.manifests) if (await blobs.has(child.digest)) pending.push({ digest: child.digest, mediaType: child.mediaType });
  }
  return { manifests, blobs: reached };
}

async function readManifest(blobs: BlobStore, digest: Digest, what: string): Promise<Buffer> {
  const stat = await blobs.stat(digest);
  if (!stat) throw new SkiffError('BLOB_UNKNOWN', `${what} is not in the hub's blob store: push the release again`);
  if (stat.size > MAX_MANIFEST_BYTES) throw new SkiffError('INVALID_INPUT', `${what} has ${stat.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte manifest limit`);
  const bytes = await buffer(await blobs.get(digest));
  if (sha256(bytes) !== digest) throw new SkiffError('DIGEST_MISMATCH', `${what} in the hub's blob store hashes to ${sha256(bytes)}: the store is corrupt, push the release again`);
  return bytes;
}
