// A docker-archive (what `docker load` reads) streamed from verified blobs: manifest.json, each image's config and its
// layers. The engine checks every layer against the config's diffIDs, and the image ID it creates is the hash of the
// config bytes, so the ID is the signed config digest.
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { MediaType, type Digest, type ImageManifest } from '../oci/index.ts';
import { SkiffError } from '../util/index.ts';

export interface ArchiveImage {
  readonly manifest: ImageManifest;
  /** Bottom layers the engine already holds as a chain: named in manifest.json, but their bytes are left out. */
  readonly skipLayers?: number;
  /** The size of each layer's tar, in the manifest's order, from the signed release (sizes.layerTars; older releases lack it). */
  readonly tarSizes?: readonly number[];
}

/** Opens a verified blob (from the staging store or the store). */
export type OpenBlob = (digest: Digest) => Promise<Readable>;

export interface ArchiveOptions {
  readonly signal?: AbortSignal;
  /**
   * Gzip layers whose tar sizes the image names go as the tars they inflate to (zlib in the agent, on libuv's threads,
   * while the engine applies the layers before): the engine's own gunzip is single-threaded Go, slower, and runs only
   * once the whole archive is in. A layer that inflates to another size fails the archive before a byte past its size
   * is sent (the caller sends it again as stored); the engine checks every tar against its diffID.
   */
  readonly inflate?: boolean;
  /** Awaited after the last entry, before the end of the archive (a chained load holds its end until the link before it is in). */
  readonly beforeEnd?: () => Promise<void>;
}

const file = (digest: Digest): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;
/** A layer sent as its uncompressed tar (the engine tells plain from gzip by the bytes, and checks the diffID). */
const tarFile = (digest: Digest): string => `layers/${digest.slice('sha256:'.length)}.tar`;

const gzipped = (mediaType: string): boolean => mediaType === MediaType.ociLayerGzip || mediaType === MediaType.dockerLayerGzip;

/** Passes exactly `size` bytes on, or fails before passing a byte past it. */
function exactly(size: number, digest: Digest): Transform {
  let seen = 0;
  const mismatch = (): Error => new SkiffError('SIZE_MISMATCH', `layer ${digest} inflates to another size than the signed release names`);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      cb(seen > size ? mismatch() : null, seen > size ? undefined : chunk);
    },
    flush(cb) {
      cb(seen === size ? null : mismatch());
    },
  });
}

/** The tar size of every gzip layer to send inflated (by digest): those whose image names the sizes of its layers' tars. */
function inflatedSizes(images: readonly ArchiveImage[], inflate: boolean): Map<Digest, number> {
  const sizes = new Map<Digest, number>();
  if (!inflate) return sizes;
  for (const { manifest, tarSizes } of images)
    if (tarSizes?.length === manifest.layers.length) manifest.layers.forEach((l, i) => gzipped(l.mediaType) && sizes.set(l.digest, tarSizes[i]!));
  return sizes;
}

/** The load manifest: no RepoTags (the agent tags by release once the image is in), layers in the config's order. */
export function loadManifest(images: readonly ArchiveImage[], inflated: ReadonlyMap<Digest, number> = new Map()): Buffer {
  const layer = (d: Digest): string => (inflated.has(d) ? tarFile(d) : file(d));
  const entries = images.map(({ manifest }) => ({ Config: file(manifest.config.digest), RepoTags: null, Layers: manifest.layers.map((l) => layer(l.digest)) }));
  return Buffer.from(JSON.stringify(entries));
}

/**
 * The archive as a stream. A layer shared by several images is written once (the engine reads entries by name).
 * The engine extracts the whole archive before it loads, so the order of entries does not matter to it; it opens a
 * layer's file only when it lacks the chain up to that layer, so skipped layers are never read.
 */
export function dockerArchive(images: readonly ArchiveImage[], open: OpenBlob, options: ArchiveOptions = {}): Readable {
  const { signal, inflate = false, beforeEnd } = options;
  const tar = tarPack();
  void (async () => {
    const inflated = inflatedSizes(images, inflate);
    const manifestJson = loadManifest(images, inflated);
    await new Promise<void>((resolve, reject) => tar.entry({ name: 'manifest.json', size: manifestJson.length }, manifestJson, (e) => (e ? reject(e) : resolve())));
    const written = new Set<Digest>();
    for (const { manifest, skipLayers = 0 } of images) {
      for (const blob of [manifest.config, ...manifest.layers.slice(skipLayers)]) {
        if (written.has(blob.digest)) continue;
        written.add(blob.digest);
        signal?.throwIfAborted();
        const tarSize = inflated.get(blob.digest);
        const source = await open(blob.digest);
        const streams = tarSize === undefined ? [source] : [source, createGunzip({ chunkSize: 1 << 20 }), exactly(tarSize, blob.digest)];
        const entry = tar.entry(tarSize === undefined ? { name: file(blob.digest), size: blob.size } : { name: tarFile(blob.digest), size: tarSize });
        // The pack destroys its current entry when it is destroyed itself: that error must have a listener.
        entry.on('error', () => undefined);
        await pipeline([...streams, entry], signal ? { signal } : {});
      }
    }
    await beforeEnd?.();
    signal?.throwIfAborted();
    tar.finalize();
  })().catch((e: unknown) => tar.destroy(e instanceof Error ? e : new Error(String(e))));
  return Readable.from(tar);
}
