// Reads an image out of the Docker Engine (its docker-save tar: the legacy layout of Docker ≤ 24 or the
// OCI layout of Docker ≥ 25) into the content store as an OCI image: gzip layers, the config, a manifest.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { MediaType, HashingStream, sha256, type Digest, gzipFileParallel, storedGzipFile } from '../oci/index.ts';
import type { FsBlobStore } from '../store/index.ts';
import { writeFileAtomic, SkiffError } from '../util/index.ts';

export interface ImageSource {
  imageInspect(ref: string): Promise<{ readonly id: string; readonly rootfsLayers: readonly string[] } | undefined>;
  imageExport(ref: string, signal?: AbortSignal): Promise<Readable>;
}

export interface StoredImage {
  readonly manifestDigest: Digest;
  readonly manifestMediaType: string;
  readonly manifestSize: number;
  readonly configDigest: Digest;
  readonly platform: { readonly os: string; readonly architecture: string; readonly variant?: string };
  readonly layers: readonly { readonly digest: Digest; readonly size: number }[];
  /** Each layer's uncompressed tar size, in the layers' order. */
  readonly layerTars: readonly number[];
  /** Each layer's diffID (the config's), in the layers' order. */
  readonly diffIds: readonly Digest[];
  /** manifest + config + layers, compressed. */
  readonly size: number;
}

const SMALL_LIMIT = 16 << 20;

interface Spooled {
  readonly path: string;
  readonly diffId: Digest;
  readonly size: number;
}

/** How release create writes layers: gzip -6 (smallest), or stored gzip (no compression) that an agent rebuilding a layer from chunks reproduces at once on any Node. */
export type LayerCompression = 'gzip' | 'stored';

/**
 * Reads a layer's tar from the export (each `open` a new stream), while it is compressed (`fresh`) or after its blob
 * was found in the store: release create builds the SBOM and the content index from it, rather than gunzip the layer
 * again afterwards. Awaited before the image is returned.
 */
export type LayerTarReader = (diffId: Digest, open: () => Readable, fresh: boolean) => Promise<unknown>;

/**
 * Exports `ref` from the engine and writes it into `store`; layers already in the store are not compressed again.
 * `readTar` is given every layer of the export.
 */
export async function importEngineImage(engine: ImageSource, ref: string, store: FsBlobStore, signal?: AbortSignal, compression: LayerCompression = 'gzip', readTar?: LayerTarReader): Promise<StoredImage> {
  const inspect = await engine.imageInspect(ref);
  if (!inspect) throw new SkiffError('NOT_FOUND', `image ${ref} is not in the local Docker Engine: build or pull it first`);
  const spoolDir = join(store.paths.tmpDir, `export-${randomBytes(6).toString('hex')}`);
  await mkdir(spoolDir, { recursive: true });
  try {
    const small = new Map<string, Buffer>();
    const layerFiles = new Map<string, Spooled>();
    // Layers compress while the export goes on; a failure surfaces when they are awaited below.
    const compressed = new Map<Digest, Promise<{ digest: Digest; size: number }>>();
    const reads: Promise<unknown>[] = [];
    const extract = tar.extract();
    const done = (async () => {
      for await (const entry of extract) {
        const { name, type, size = 0, linkname } = entry.header;
        if (type === 'symlink' && linkname) {
          small.set(name, Buffer.from(`symlink:${linkname}`));
          entry.resume();
        } else if (type !== 'file') {
          entry.resume();
        } else if (size <= SMALL_LIMIT && !name.endsWith('layer.tar')) {
          const parts: Buffer[] = [];
          for await (const c of entry) parts.push(c as Buffer);
          small.set(name, Buffer.concat(parts));
        } else {
          const path = join(spoolDir, String(layerFiles.size));
          const hasher = new HashingStream();
          await pipeline(entry, hasher, createWriteStream(path, { highWaterMark: 1 << 20 }));
          const spooled = { path, diffId: hasher.digest(), size: hasher.size };
          layerFiles.set(name, spooled);
          if (!compressed.has(spooled.diffId)) {
            const cached = await cachedLayer(store, spooled.diffId, compression);
            const p = cached ? Promise.resolve(cached) : compressLayer(store, spooled, compression, signal);
            p.catch(() => undefined);
            compressed.set(spooled.diffId, p);
            if (readTar) {
              const read = readTar(spooled.diffId, () => createReadStream(path, { highWaterMark: 1 << 20 }), !cached);
              read.catch(() => undefined);
              reads.push(read);
            }
          }
        }
      }
    })();
    // Read through an async iterator: piping undici's body straight into a slower writable stalls it (~250 KB/s).
    await pipeline(Readable.from(await engine.imageExport(ref, signal)), extract, { signal });
    await done;
    await Promise.all(reads);

    const layout = readSaveLayout(small, ref);
    const configBytes = small.get(layout.config) ?? fail(ref, `config ${layout.config} missing`);
    const config = JSON.parse(configBytes.toString('utf8')) as { os?: string; architecture?: string; variant?: string; rootfs?: { diff_ids?: string[] } };
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== layout.layers.length) fail(ref, 'layer count differs from the config');

    const layers = [];
    const layerTars: number[] = [];
    for (const [i, layerName] of layout.layers.entries()) {
      const resolved = resolveLayer(layerName, small, layerFiles, ref);
      layerTars.push(resolved.size);
      if (resolved.diffId !== diffIds[i]) fail(ref, `layer ${i} hashes to ${resolved.diffId}, the config says ${diffIds[i]}`);
      const layer = compressed.get(resolved.diffId) ?? fail(ref, `layer ${i} was not compressed`);
      layers.push(await layer);
    }
    const configStat = await store.put([configBytes], { digest: sha256(configBytes) });
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configStat.digest, size: configStat.size },
      layers: layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const m = await store.put([manifestBytes]);
    return {
      manifestDigest: m.digest,
      manifestMediaType: MediaType.ociManifest,
      manifestSize: m.size,
      configDigest: configStat.digest,
      platform: { os: config.os ?? 'linux', architecture: config.architecture ?? 'amd64', ...(config.variant ? { variant: config.variant } : {}) },
      layers,
      layerTars,
      diffIds: diffIds as Digest[],
      size: m.size + configStat.size + layers.reduce((a, l) => a + l.size, 0),
    };
  } finally {
    await rm(spoolDir, { recursive: true, force: true });
  }
}

function fail(ref: string, why: string): never {
  throw new SkiffError('ENGINE_ERROR', `the Docker Engine's export of ${ref} is malformed: ${why}`);
}

/** The config path and layer paths of a docker-save tar, from manifest.json (both layouts carry it). */
function readSaveLayout(small: Map<string, Buffer>, ref: string): { config: string; layers: string[] } {
  const raw = small.get('manifest.json') ?? fail(ref, 'manifest.json missing');
  const list = JSON.parse(raw.toString('utf8')) as { Config?: string; Layers?: string[] }[];
  const first = list[0];
  if (list.length !== 1 || !first?.Config || !Array.isArray(first.Layers)) fail(ref, 'expected exactly one image in manifest.json');
  return { config: first.Config, layers: first.Layers };
}

function resolveLayer(name: string, small: Map<string, Buffer>, files: Map<string, Spooled>, ref: string): Spooled {
  for (let hops = 0; hops < 8; hops++) {
    const file = files.get(name);
    if (file) return file;
    const link = small.get(name)?.toString('utf8');
    if (!link?.startsWith('symlink:')) break;
    const target = link.slice('symlink:'.length);
    name = join(name, '..', target).replace(/^\.\//, '');
  }
  return fail(ref, `layer ${name} missing`);
}

const cacheFile = (store: FsBlobStore, diffId: Digest, compression: LayerCompression): string => `${store.paths.diffIdEntry(diffId)}${compression === 'stored' ? '.stored' : ''}`;

/** The blob a layer was compressed to before, when the store still has it. */
async function cachedLayer(store: FsBlobStore, diffId: Digest, compression: LayerCompression): Promise<{ digest: Digest; size: number } | undefined> {
  const cached = await readFile(cacheFile(store, diffId, compression), 'utf8').then((s) => JSON.parse(s) as { digest: Digest; size: number }, () => undefined);
  return cached && (await store.has(cached.digest)) ? cached : undefined;
}

async function compressLayer(store: FsBlobStore, layer: Spooled, compression: LayerCompression, signal?: AbortSignal): Promise<{ digest: Digest; size: number }> {
  const stat = await store.put(compression === 'stored' ? storedGzipFile(layer.path, signal) : gzipFileParallel(layer.path, 6, signal), {}, signal);
  await writeFileAtomic(cacheFile(store, layer.diffId, compression), JSON.stringify({ digest: stat.digest, size: stat.size }));
  return { digest: stat.digest, size: stat.size };
}
