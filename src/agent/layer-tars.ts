// Uncompressed layer tars for `docker load`: each verified layer blob is gunzipped in the agent (zlib on libuv's
// threads, layers in parallel) into a file whose SHA-256 must be the config's diffID, so the engine applies plain tars
// and skips its own single-threaded gunzip. A tar's size must be known before its tar entry is written: hence files.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash, randomBytes } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { MediaType, type Digest, type ImageManifest } from '../oci/index.ts';
import { SkiffError } from '../util/index.ts';
import type { OpenBlob } from './docker-archive.ts';

/** A layer's uncompressed tar whose SHA-256 is its diffID in the signed config. */
export interface VerifiedLayerTar {
  readonly size: number;
  open(): Readable;
}

/** Uncompressed tars by the digest of the layer blob they stand for; an archive sends them in place of the blobs. */
export type LayerTars = ReadonlyMap<Digest, VerifiedLayerTar>;

/** How many layers are gunzipped at once: the agent's machine has few cores, and the engine needs one too. */
const PARALLEL = 2;

const gzipped = (mediaType: string): boolean => mediaType === MediaType.ociLayerGzip || mediaType === MediaType.dockerLayerGzip;

/**
 * Writes the uncompressed tar of every gzip layer of `images` (skipping the first `skipLayers` of each) into a new
 * directory under `parent`, each checked against its diffID. `remove` deletes them once the engine has loaded them.
 */
export async function decompressLayers(
  images: readonly { manifest: ImageManifest; diffIds: readonly string[]; skipLayers?: number }[],
  open: OpenBlob,
  parent: string,
  signal?: AbortSignal,
): Promise<{ tars: LayerTars; remove: () => Promise<void> }> {
  const dir = join(parent, `layer-tars-${randomBytes(6).toString('hex')}`);
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const jobs = new Map<Digest, string>();
  for (const { manifest, diffIds, skipLayers = 0 } of images)
    manifest.layers.forEach((l, i) => {
      if (i >= skipLayers && gzipped(l.mediaType) && diffIds[i] !== undefined) jobs.set(l.digest, diffIds[i]);
    });
  const tars = new Map<Digest, VerifiedLayerTar>();
  if (jobs.size === 0) return { tars, remove };
  await mkdir(dir, { recursive: true });
  try {
    const queue = [...jobs];
    const worker = async (): Promise<void> => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const [digest, diffId] = job;
        const file = join(dir, `${digest.slice('sha256:'.length)}.tar`);
        tars.set(digest, await gunzipChecked(await open(digest), file, diffId, digest, signal));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, jobs.size) }, worker));
  } catch (e) {
    await remove();
    throw e;
  }
  return { tars, remove };
}

async function gunzipChecked(source: Readable, file: string, diffId: string, digest: Digest, signal?: AbortSignal): Promise<VerifiedLayerTar> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(source, createGunzip(), tap, createWriteStream(file), signal ? { signal } : {});
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== diffId)
    throw new SkiffError('DIGEST_MISMATCH', `layer ${digest.slice(0, 19)}… uncompresses to ${got.slice(0, 19)}…, not the diffID ${diffId.slice(0, 19)}… its signed config names: the release is corrupt, ask the vendor for a new one`);
  return { size, open: () => createReadStream(file, { highWaterMark: 1 << 20 }) };
}
