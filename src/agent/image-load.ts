// Puts verified images into the engine with `docker load`, and the overlapped form of it an install uses: each image
// is loaded as soon as its own blobs are verified, while the rest of the bundle is still being read.
import { buffer } from 'node:stream/consumers';
import type { AgentEngine } from '../engine/index.ts';
import { parseImageManifest, type Digest, type ImageManifest } from '../oci/index.ts';
import type { ReleaseManifest } from '../release/index.ts';
import { SkiffError, errorMessage } from '../util/index.ts';
import { linkEnds, loadChain } from './chained-load.ts';
import { dockerArchive, type ArchiveImage, type OpenBlob } from './docker-archive.ts';
import { phase } from './phase-trace.ts';

export const imageId = (configDigest: string): string => `sha256:${configDigest.slice('sha256:'.length)}`;

/**
 * Loads images whose every blob is verified; the engine checks the layers against the configs' diffIDs. Gzip layers
 * go inflated (docker-archive.ts). The bottom layers an image shares with one of the app's images the engine has are
 * not sent (as a pull skips them). If the engine refuses that archive (that image went meanwhile, a layer inflated to
 * another size than the signed release names), every layer is sent again, as stored.
 */
export async function loadVerifiedImages(engine: AgentEngine, app: string, images: readonly ArchiveImage[], open: OpenBlob, signal?: AbortSignal): Promise<void> {
  const known = await knownChains(engine, app, signal);
  const skipping: ArchiveImage[] = [];
  for (const img of images) skipping.push({ ...img, skipLayers: sharedBottom(await diffIdsOf(open, img.manifest), known) });
  const sent = await engine.imageLoad(dockerArchive(skipping, open, { signal, inflate: true }), signal).then(
    () => true,
    (e: unknown) => (signal?.aborted ? Promise.reject(e) : false),
  );
  if (!sent) await engine.imageLoad(dockerArchive(images, open, { signal }), signal);
  await checkLoaded(engine, images, signal);
}

async function checkLoaded(engine: AgentEngine, images: readonly { manifest: ImageManifest }[], signal?: AbortSignal): Promise<void> {
  for (const { manifest } of images)
    if (!(await engine.imageInspect(imageId(manifest.config.digest), signal)))
      throw new SkiffError('ENGINE_ERROR', `Docker Engine: the load of image ${imageId(manifest.config.digest).slice(0, 19)}… finished but the engine does not have it`);
}

/**
 * Loads one image as a chain of loads (chained-load.ts) when the layers the engine lacks are big enough for two links,
 * else — or when a link fails — as one archive.
 */
async function loadImage(engine: AgentEngine, app: string, image: ArchiveImage, open: OpenBlob, signal?: AbortSignal, log?: (line: string) => void): Promise<void> {
  const { manifest, tarSizes } = image;
  const config = await buffer(await open(manifest.config.digest));
  const diffIds = diffIdsIn(config, manifest);
  const skip = sharedBottom(diffIds, await knownChains(engine, app, signal));
  const ends = linkEnds(manifest.layers.map((l) => l.size), skip);
  if (diffIds.length > 0 && ends.length > 1) {
    const chained = await loadChain(engine, app, { manifest, config, ends, skip, tarSizes }, open, signal).then(
      () => true,
      (e: unknown) => {
        if (signal?.aborted) throw e;
        log?.(`the chained load of image ${imageId(manifest.config.digest).slice(0, 19)}… failed (it is sent again as one archive): ${errorMessage(e)}`);
        return false;
      },
    );
    if (chained) return checkLoaded(engine, [{ manifest }], signal);
  }
  await loadVerifiedImages(engine, app, [image], open, signal);
}

/** The layer chains (diffIDs, bottom first) of the app's tagged images: what an upgrade's images most often share. */
async function knownChains(engine: AgentEngine, app: string, signal?: AbortSignal): Promise<string[][]> {
  const chains: string[][] = [];
  try {
    for (const summary of await engine.imageList({ reference: [`skiff/${app}/*`] }, signal)) {
      const layers = (await engine.imageInspect(summary.id, signal))?.rootfsLayers;
      if (layers?.length) chains.push(layers);
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    return []; // Sending every layer is always right, only slower.
  }
  return chains;
}

/** The most bottom layers of `diffIds` that one known chain starts with. */
function sharedBottom(diffIds: readonly string[], known: readonly (readonly string[])[]): number {
  let best = 0;
  for (const chain of known) {
    let n = 0;
    while (n < diffIds.length && n < chain.length && chain[n] === diffIds[n]) n++;
    best = Math.max(best, n);
  }
  return best;
}

/** The config's diffIDs, read from the verified config blob (its digest is the signed one). */
async function diffIdsOf(open: OpenBlob, manifest: ImageManifest): Promise<string[]> {
  return diffIdsIn(await buffer(await open(manifest.config.digest)), manifest);
}

function diffIdsIn(configBytes: Buffer, manifest: ImageManifest): string[] {
  const config = JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: unknown } };
  const ids = config.rootfs?.diff_ids;
  return Array.isArray(ids) && ids.length === manifest.layers.length && ids.every((d) => typeof d === 'string') ? ids : [];
}

export interface OverlapSource {
  /** A verified blob's bytes: from the staging store when this bundle carried it, else from the store. */
  readonly open: OpenBlob;
  /** True when the blob is verified already (the store has it, or this bundle's reader wrote it). */
  readonly verified: (digest: Digest) => Promise<boolean>;
}

interface Waiting {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/**
 * Loads a release's missing images while its bundle is read. Nothing reaches the engine before the reader has hashed
 * it against the signed release; if the read then fails, the images this loaded are removed again. A load that fails
 * is only reported: the state machine stages from the store later, as it does on resume.
 */
export class OverlappedImageLoad {
  readonly #engine: AgentEngine;
  readonly #source: OverlapSource;
  readonly #log: ((line: string) => void) | undefined;
  readonly #abort = new AbortController();
  /** Blobs an image load waits for: resolved when the reader verified them. */
  readonly #waiting = new Map<Digest, Waiting>();
  readonly #loaded: string[] = [];
  #queue: Promise<void> = Promise.resolve();
  #app = '';

  constructor(engine: AgentEngine, source: OverlapSource, log?: (line: string) => void) {
    this.#engine = engine;
    this.#source = source;
    this.#log = log;
  }

  /**
   * Every image manifest is verified by now: starts loading each image the engine lacks. Its archive is streamed to the
   * engine while the bundle is read, each blob's entry written only once the reader has verified that blob, so the
   * engine spools the layers verified first while later ones are still hashed (it looks at none before the end).
   */
  async plan(release: ReleaseManifest): Promise<void> {
    this.#app = release.app;
    const seen = new Set<Digest>();
    for (const service of Object.keys(release.images).sort()) {
      const img = release.images[service]!;
      if (seen.has(img.manifestDigest)) continue;
      seen.add(img.manifestDigest);
      if (await this.#engine.imageInspect(imageId(img.configDigest), this.#abort.signal)) continue;
      if (!(await this.#source.verified(img.manifestDigest))) continue;
      const manifest = parseImageManifest(await buffer(await this.#source.open(img.manifestDigest)), `image manifest ${img.manifestDigest}`);
      if (manifest.config.digest !== img.configDigest) continue;
      for (const b of [manifest.config, ...manifest.layers]) if (!(await this.#source.verified(b.digest))) this.#waitFor(b.digest);
      this.#start({ manifest, tarSizes: img.sizes.layerTars });
    }
  }

  /** The reader verified `digest` (and the staging store holds it). */
  verified(digest: Digest): void {
    this.#waiting.get(digest)?.resolve();
    this.#waiting.delete(digest);
  }

  /** The read is over: a blob still awaited is not in this bundle, so its image is loaded from the store next. */
  readDone(): void {
    for (const [digest, w] of this.#waiting) w.reject(new SkiffError('BLOB_UNKNOWN', `blob ${digest} was not verified while the bundle was read`));
    this.#waiting.clear();
  }

  #waitFor(digest: Digest): void {
    if (this.#waiting.has(digest)) return;
    let resolve = (): void => undefined;
    let reject = (_e: Error): void => undefined;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined); // awaited only when the archive reaches that blob
    this.#waiting.set(digest, { promise, resolve, reject });
  }

  /** Opens a blob once it is verified (at once when it already is); an undo ends the wait. */
  readonly #openVerified: OpenBlob = async (digest) => {
    const w = this.#waiting.get(digest);
    if (w) {
      const signal = this.#abort.signal;
      signal.throwIfAborted();
      let onAbort = (): void => undefined;
      await Promise.race([w.promise, new Promise<never>((_res, rej) => signal.addEventListener('abort', (onAbort = () => rej(signal.reason as Error)), { once: true }))]).finally(() =>
        signal.removeEventListener('abort', onAbort),
      );
    }
    return this.#source.open(digest);
  };

  #start(image: ArchiveImage): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#abort.signal.aborted) return;
      const id = imageId(image.manifest.config.digest);
      try {
        phase(`load-start:${id.slice(7, 19)}`);
        await loadImage(this.#engine, this.#app, image, this.#openVerified, this.#abort.signal, this.#log);
        phase(`load-end:${id.slice(7, 19)}`);
        this.#loaded.push(id);
      } catch (e) {
        if (!this.#abort.signal.aborted) this.#log?.(`loading image ${id.slice(0, 19)}… while reading the bundle failed (it is loaded from the store next): ${errorMessage(e)}`);
      }
    });
  }

  /** Waits for the loads started so far (before the staging store moves into the store). */
  async settle(): Promise<void> {
    await this.#queue;
  }

  /** The read failed: stop, and remove the images this put into the engine, so nothing changed. */
  async undo(): Promise<void> {
    this.#abort.abort();
    this.#waiting.clear();
    await this.#queue;
    for (const id of this.#loaded.splice(0)) await this.#engine.imageRemove(id).catch(() => undefined);
  }
}
