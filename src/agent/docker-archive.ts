// A docker-archive (what `docker load` reads) streamed from verified blobs: manifest.json, each image's config and its
// layer blobs as they are stored. The engine checks every layer against the config's diffIDs, and the image ID it
// creates is the hash of the config bytes, so the ID is the signed config digest.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';
import type { Digest, ImageManifest } from '../oci/index.ts';
import type { LayerTars } from './layer-tars.ts';

export interface ArchiveImage {
  readonly manifest: ImageManifest;
  /** Bottom layers the engine already holds as a chain: named in manifest.json, but their bytes are left out. */
  readonly skipLayers?: number;
}

/** Opens a verified blob (from the staging store or the store). */
export type OpenBlob = (digest: Digest) => Promise<Readable>;

const file = (digest: Digest): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;
/** A layer sent as its uncompressed tar (the engine tells plain from gzip by the bytes, and checks the diffID). */
const tarFile = (digest: Digest): string => `layers/${digest.slice('sha256:'.length)}.tar`;

/** The load manifest: no RepoTags (the agent tags by release once the image is in), layers in the config's order. */
export function loadManifest(images: readonly ArchiveImage[], tars?: LayerTars): Buffer {
  const layer = (d: Digest): string => (tars?.has(d) ? tarFile(d) : file(d));
  const entries = images.map(({ manifest }) => ({ Config: file(manifest.config.digest), RepoTags: null, Layers: manifest.layers.map((l) => layer(l.digest)) }));
  return Buffer.from(JSON.stringify(entries));
}

/**
 * The archive as a stream. A layer shared by several images is written once (the engine reads entries by name).
 * The engine extracts the whole archive before it loads, so the order of entries does not matter to it; it opens a
 * layer's file only when it lacks the chain up to that layer, so skipped layers are never read. `beforeEnd` is awaited
 * after the last entry, before the end of the archive (a chained load holds the end back until the link before it is in).
 */
export function dockerArchive(images: readonly ArchiveImage[], open: OpenBlob, signal?: AbortSignal, tars?: LayerTars, beforeEnd?: () => Promise<void>): Readable {
  const tar = tarPack();
  const written = new Set<Digest>();
  void (async () => {
    const manifestJson = loadManifest(images, tars);
    await new Promise<void>((resolve, reject) => tar.entry({ name: 'manifest.json', size: manifestJson.length }, manifestJson, (e) => (e ? reject(e) : resolve())));
    for (const { manifest, skipLayers = 0 } of images) {
      for (const blob of [manifest.config, ...manifest.layers.slice(skipLayers)]) {
        if (written.has(blob.digest)) continue;
        written.add(blob.digest);
        signal?.throwIfAborted();
        const plain = tars?.get(blob.digest);
        const source = plain ? plain.open() : await open(blob.digest);
        const entry = tar.entry(plain ? { name: tarFile(blob.digest), size: plain.size } : { name: file(blob.digest), size: blob.size });
        // The pack destroys its current entry when it is destroyed itself: that error must have a listener.
        entry.on('error', () => undefined);
        await pipeline(source, entry, signal ? { signal } : {});
      }
    }
    await beforeEnd?.();
    signal?.throwIfAborted();
    tar.finalize();
  })().catch((e: unknown) => tar.destroy(e instanceof Error ? e : new Error(String(e))));
  return Readable.from(tar);
}
