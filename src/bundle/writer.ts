// Writes a .skiff bundle: a deterministic POSIX tar laid out as an OCI image layout, streamed blob by blob.
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { Annotation, MediaType, OciLayoutVersion } from '../oci/constants.ts';
import type { BlobStore } from '../store/index.ts';
import { releaseBlobs } from '../release/blobs.ts';
import type { StoredRelease } from '../release/release-store.ts';
import { BUNDLE_SCHEMA, Entry, FIXED_HEADER, type BundleIndex } from './format.ts';

export interface BundleSource {
  readonly blobs: BlobStore;
  readonly release: StoredRelease;
  /** root.1.json … root.N.json, as stored. */
  readonly chain: readonly Uint8Array[];
  /** For a delta: the release whose blobs are omitted. */
  readonly base?: StoredRelease;
}

/** The bundle's index, computed from the store before writing (so the hub can announce its size). */
export async function planBundle(src: BundleSource): Promise<BundleIndex> {
  const blobs = await releaseBlobs(src.blobs, src.release.manifest);
  const baseHas = new Set(src.base ? (await releaseBlobs(src.blobs, src.base.manifest)).map((b) => b.digest) : []);
  const entries = blobs.map((b) => ({ digest: b.digest, size: b.size, mediaType: b.mediaType, kind: b.kind, included: !baseHas.has(b.digest) }));
  const sum = (inc: boolean) => entries.filter((e) => e.included === inc).reduce((a, e) => a + e.size, 0);
  const m = src.release.manifest;
  return {
    schema: BUNDLE_SCHEMA,
    app: m.app,
    version: m.version,
    releaseDigest: src.release.digest,
    ...(src.base ? { base: { version: src.base.manifest.version, releaseDigest: src.base.digest } } : {}),
    blobs: entries,
    includedBytes: sum(true),
    omittedBytes: sum(false),
  };
}

function ociIndex(src: BundleSource): Buffer {
  const m = src.release.manifest;
  const manifests = Object.keys(m.images)
    .sort()
    .map((service) => {
      const img = m.images[service]!;
      return {
        mediaType: img.manifestMediaType,
        digest: img.manifestDigest,
        size: img.sizes.manifest,
        platform: img.platform,
        annotations: { [Annotation.refName]: service, [Annotation.service]: service, [Annotation.app]: m.app, [Annotation.imageVersion]: m.version },
      };
    });
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, null, 2));
}

export interface WriteProgress {
  (bytesDone: number, bytesTotal: number): void;
}

/** Streams the bundle into `out`; blobs are read from the store one at a time, never held in memory. */
export async function writeBundle(src: BundleSource, out: Writable, onProgress?: WriteProgress, signal?: AbortSignal): Promise<BundleIndex> {
  const index = await planBundle(src);
  const pack = tar.pack();
  const done = pipeline(pack, out, { signal });
  const file = (name: string, data: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ name, mode: 0o644, ...FIXED_HEADER }, Buffer.from(data), (e) => (e ? reject(e) : resolve())));
  const dir = (name: string): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ name, type: 'directory', mode: 0o755, ...FIXED_HEADER }, (e) => (e ? reject(e) : resolve())));
  const produce = async (): Promise<void> => {
    await dir('skiff/');
    await dir(Entry.trustDir);
    for (const [i, root] of src.chain.entries()) await file(Entry.root(i + 1), root);
    await file(Entry.release, src.release.bytes);
    await file(Entry.signature, src.release.sig);
    await file(Entry.index, Buffer.from(JSON.stringify(index, null, 2)));
    await file(Entry.ociLayout, Buffer.from(JSON.stringify({ imageLayoutVersion: OciLayoutVersion })));
    await file(Entry.ociIndex, ociIndex(src));
    await dir('blobs/');
    await dir(Entry.blobsDir);
    let written = 0;
    for (const b of index.blobs) {
      if (!b.included) continue;
      const entry = pack.entry({ name: Entry.blob(b.digest), size: b.size, mode: 0o644, ...FIXED_HEADER });
      await pipeline(await src.blobs.get(b.digest, { signal }), entry, { signal });
      written += b.size;
      onProgress?.(written, index.includedBytes);
    }
    pack.finalize();
  };
  // Whichever fails first (reading the store, or the destination) ends both.
  await Promise.all([
    produce().catch((e: unknown) => {
      pack.destroy(e as Error);
      throw e;
    }),
    done,
  ]);
  return index;
}
