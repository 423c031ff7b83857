// The package-database files of an image's final filesystem, read from its layers in order: each layer's whiteouts
// (a file deleted, a directory made opaque) hide what the layers below put there, so a deleted package is not listed.
// An ELF file with Go build info stands in the map as that build-info blob (not the whole binary).
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { MediaType, type Digest } from '../oci/index.ts';
import type { BlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import { ELF_MAGIC, GoBuildInfoScanner } from './go-buildinfo.ts';

/** A package-database file is far smaller than this (Debian's status: ~1 MB for 500 packages); larger ones are skipped. */
const MAX_FILE_BYTES = 16 << 20;

/** Large reads and inflate chunks: zlib's 16 KiB default makes gunzip of a layer twice as slow. */
const CHUNK = 1 << 20;

const WANTED: readonly RegExp[] = [
  /^var\/lib\/dpkg\/status$/,
  /^var\/lib\/dpkg\/status\.d\/[^/]+$/,
  /^lib\/apk\/db\/installed$/,
  /^(etc|usr\/lib)\/os-release$/,
  /^usr\/share\/doc\/[^/]+\/copyright$/,
  /(^|\/)node_modules\/(@[^/]+\/)?[^/@.][^/]*\/package\.json$/,
  /(^|\/)[^/]+\.dist-info\/METADATA$/,
  /(^|\/)[^/]+\.egg-info\/PKG-INFO$/,
];

/** Whether an image path (no leading slash) is one the catalog reads. */
export const isCatalogFile = (path: string): boolean => WANTED.some((re) => re.test(path));

export interface LayerRef {
  readonly digest: Digest;
  readonly mediaType: string;
}

/** A tar entry name as an image path: no leading `./` or `/`, no trailing `/`. */
const clean = (name: string): string => name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');

const under = (path: string, dir: string): boolean => dir === '' || path === dir || path.startsWith(`${dir}/`);

export interface LayerChanges {
  readonly files: Map<string, Buffer>;
  /** Paths deleted (with everything below them). */
  readonly deleted: string[];
  /** Directories whose lower contents are hidden. */
  readonly opaque: string[];
  /** Every path this layer writes (a non-file over a wanted file hides it too). */
  readonly written: Set<string>;
}

/** Reads a tar entry to its end; an ELF file is scanned for Go build info as it streams (never held whole). */
function goBuildInfo(entry: NodeJS.EventEmitter): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let scanner: GoBuildInfoScanner | undefined;
    // 'data' handlers, not for-await: most files are not ELF and flow through as cheaply as with resume().
    entry.on('data', (chunk: Buffer) => {
      if (scanner) scanner.push(chunk);
      else if (head.length < ELF_MAGIC.length) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= ELF_MAGIC.length && head.subarray(0, ELF_MAGIC.length).equals(ELF_MAGIC)) {
          scanner = new GoBuildInfoScanner();
          scanner.push(head);
        }
      }
    });
    entry.once('end', () => resolve(scanner?.found));
    entry.once('error', reject);
  });
}

async function readLayer(store: BlobStore, layer: LayerRef, signal?: AbortSignal): Promise<LayerChanges> {
  const raw = await store.get(layer.digest, { signal, chunkSize: CHUNK });
  let source: Readable;
  if (layer.mediaType === MediaType.ociLayerGzip || layer.mediaType.endsWith('.tar.gzip') || layer.mediaType.endsWith('tar+gzip')) source = raw.pipe(createGunzip({ chunkSize: CHUNK }));
  else if (layer.mediaType === MediaType.ociLayerTar || layer.mediaType.endsWith('.tar')) source = raw;
  else {
    raw.destroy();
    throw new SkiffError('RELEASE_INVALID', `layer ${layer.digest} has media type ${layer.mediaType}, which the SBOM reader cannot open (gzip or plain tar only)`);
  }
  raw.on('error', (e) => source.destroy(e));
  return tarChanges(source, signal);
}

/** What a layer's uncompressed tar changes: its wanted files, whiteouts and every path it writes. */
export async function tarChanges(source: Readable, signal?: AbortSignal): Promise<LayerChanges> {
  const changes: LayerChanges = { files: new Map(), deleted: [], opaque: [], written: new Set() };
  const extract = tar.extract();
  source.on('error', (e) => extract.destroy(e));
  source.pipe(extract);
  for await (const entry of extract) {
    signal?.throwIfAborted();
    const { name: rawName, type, size = 0 } = entry.header;
    const path = clean(rawName);
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    const base = path.slice(slash + 1);
    if (base === '.wh..wh..opq') changes.opaque.push(dir);
    else if (base.startsWith('.wh.')) changes.deleted.push(dir ? `${dir}/${base.slice(4)}` : base.slice(4));
    else {
      changes.written.add(path);
      if (type === 'file' && size <= MAX_FILE_BYTES && isCatalogFile(path)) {
        const parts: Buffer[] = [];
        for await (const c of entry) parts.push(c as Buffer);
        changes.files.set(path, Buffer.concat(parts));
        continue;
      }
      if (type === 'file' && size > ELF_MAGIC.length) {
        const info = await goBuildInfo(entry);
        if (info) changes.files.set(path, info);
        continue;
      }
    }
    entry.resume();
  }
  return changes;
}

/** What each layer read so far changes, by digest: images sharing a base layer read it once. */
export class LayerCache {
  readonly #layers = new Map<Digest, Promise<LayerChanges>>();
  read(store: BlobStore, layer: LayerRef, signal?: AbortSignal): Promise<LayerChanges> {
    let p = this.#layers.get(layer.digest);
    if (!p) this.#layers.set(layer.digest, (p = readLayer(store, layer, signal)));
    return p;
  }
  /** What layer `digest` changes, read from its tar elsewhere (release create reads the engine's export as it comes). */
  add(digest: Digest, changes: Promise<LayerChanges>): void {
    this.#layers.set(digest, changes);
  }
}

/**
 * The wanted files of the image whose layers are `layers` (bottom first), as they are in its final filesystem.
 * Layers are read one at a time; only the wanted files are held.
 */
export async function imageCatalogFiles(store: BlobStore, layers: readonly LayerRef[], signal?: AbortSignal, cache = new LayerCache()): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const layer of layers) {
    const changes = await cache.read(store, layer, signal);
    for (const path of [...files.keys()]) {
      const hidden =
        changes.deleted.some((d) => under(path, d)) ||
        changes.opaque.some((d) => path !== d && under(path, d)) ||
        (changes.written.has(path) && !changes.files.has(path));
      if (hidden) files.delete(path);
    }
    for (const [path, bytes] of changes.files) files.set(path, bytes);
  }
  return files;
}
