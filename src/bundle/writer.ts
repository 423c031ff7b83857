// Writes a .skiff bundle: a deterministic POSIX tar laid out as an OCI image layout, streamed blob by blob.
import type { Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { Annotation, MediaType, OciLayoutVersion, parseImageManifest, type Digest } from '../oci/index.ts';
import type { BlobStore } from '../store/index.ts';
import { releaseBlobs, type StoredRelease } from '../release/index.ts';
import { BUNDLE_SCHEMA, Entry, FIXED_HEADER, type BundleIndex } from './format.ts';
import { BlobEncrypter, ENCRYPTION_SCHEME, encryptedBlobEntry } from './encryption.ts';
import { planLayerPacks } from '../delta/index.ts';

export interface BundleSource {
  readonly blobs: BlobStore;
  readonly release: StoredRelease;
  /** root.1.json … root.N.json, as stored. */
  readonly chain: readonly Uint8Array[];
  /** For a delta: the release whose blobs are omitted. */
  readonly base?: StoredRelease;
  /** Further bases: the delta then applies to any one of them, carrying what not all of them hold. */
  readonly moreBases?: readonly StoredRelease[];
  /** Bytes per read of each blob (e.g. a ReadBufferBudget lease); the store's default when absent. */
  readonly chunkSize?: number;
  /** Encrypt every blob to these age recipients (a customer's X25519 key); the bundle is then not reproducible. */
  readonly recipients?: readonly string[];
  /** Carry only the layers' whole blobs in a delta, never chunk packs (the agent rebuilds nothing). */
  readonly layersOnly?: boolean;
}

/** The bundle's index, computed from the store before writing (so the hub can announce its size). */
export async function planBundle(src: BundleSource): Promise<BundleIndex> {
  const blobs = await releaseBlobs(src.blobs, src.release.manifest);
  const bases = src.base ? [src.base, ...(src.moreBases ?? [])] : [];
  // Omitted: only what every base holds, so that a site with any one of them has it.
  const baseSets = await Promise.all(bases.map(async (b) => new Set((await releaseBlobs(src.blobs, b.manifest)).map((x) => x.digest))));
  const baseHas = new Set(baseSets.length === 0 ? [] : [...baseSets[0]!].filter((d) => baseSets.every((s) => s.has(d))));
  const wholeLayers = blobs.filter((b) => b.kind === 'layer' && !baseHas.has(b.digest));
  // Encrypted bundles carry whole layers: a pack is not an age file the reader could open.
  const packs =
    bases.length > 0 && !src.layersOnly && !src.recipients?.length
      ? await planLayerPacks(src.blobs, wholeLayers, src.release.manifest.contentIndex ?? [], bases.map((b) => b.manifest.contentIndex ?? []))
      : [];
  const rebuilt = new Set(packs.map((p) => p.layer));
  const entries = blobs.map((b) => ({ digest: b.digest, size: b.size, mediaType: b.mediaType, kind: b.kind, included: !baseHas.has(b.digest) && !rebuilt.has(b.digest) }));
  const sum = (inc: boolean) => entries.filter((e) => e.included === inc).reduce((a, e) => a + e.size, 0);
  const m = src.release.manifest;
  return {
    schema: BUNDLE_SCHEMA,
    app: m.app,
    version: m.version,
    releaseDigest: src.release.digest,
    ...(src.base ? { base: { version: src.base.manifest.version, releaseDigest: src.base.digest } } : {}),
    ...(bases.length > 1 ? { bases: bases.map((b) => ({ version: b.manifest.version, releaseDigest: b.digest })) } : {}),
    blobs: entries,
    ...(src.recipients?.length ? { encryption: { scheme: ENCRYPTION_SCHEME, recipients: [...src.recipients] } } : {}),
    includedBytes: sum(true),
    omittedBytes: sum(false),
    ...(packs.length > 0 ? { packs: packs.map((p) => ({ layer: p.layer, digest: p.pack.digest, size: p.pack.size, codec: p.codec })) } : {}),
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

/** A reference docker load can tag with (name:tag, no digest). */
const TAGGED = /^[a-z0-9][a-z0-9._/-]*(:\d+\/[a-z0-9._/-]+)?:[\w][\w.-]{0,127}$/;

/**
 * `docker save`'s manifest.json for the images whose blobs are all in the bundle, so that `docker load -i BUNDLE` loads
 * them with their references: above all the skiff-agent image a release can carry, for a first install at a site that
 * has nothing but the bundle and Docker. Undefined when no image is whole (a delta).
 */
async function dockerLoadManifest(src: BundleSource, index: BundleIndex): Promise<Buffer | undefined> {
  const included = new Set(index.blobs.filter((b) => b.included).map((b) => b.digest));
  const m = src.release.manifest;
  const images = [];
  for (const service of Object.keys(m.images).sort()) {
    const img = m.images[service]!;
    if (!included.has(img.manifestDigest)) continue;
    const manifest = parseImageManifest(await buffer(await src.blobs.get(img.manifestDigest)), `image manifest of ${service}`);
    if (![manifest.config, ...manifest.layers].every((b) => included.has(b.digest))) continue;
    images.push({ Config: Entry.blob(manifest.config.digest), RepoTags: TAGGED.test(img.ref) ? [img.ref] : [], Layers: manifest.layers.map((l) => Entry.blob(l.digest)) });
  }
  return images.length > 0 ? Buffer.from(JSON.stringify(images)) : undefined;
}

export interface WriteProgress {
  (bytesDone: number, bytesTotal: number): void;
}

type BundleEntry =
  | { readonly kind: 'dir'; readonly name: string }
  | { readonly kind: 'file'; readonly name: string; readonly data: Buffer }
  | {
      readonly kind: 'blob';
      readonly name: string;
      readonly digest: BundleIndex['blobs'][number]['digest'];
      /** The blob's own size. */
      readonly size: number;
      /** The entry's size: the age file's when encrypted. */
      readonly entrySize: number;
    };

/** Every entry of the bundle, in its fixed order; blobs by reference, so nothing large is held. */
async function bundleEntries(src: BundleSource): Promise<{ index: BundleIndex; entries: BundleEntry[]; encrypter?: BlobEncrypter }> {
  const index = await planBundle(src);
  const encrypter = src.recipients?.length ? await BlobEncrypter.create(src.recipients) : undefined;
  const file = (name: string, data: Uint8Array | string): BundleEntry => ({ kind: 'file', name, data: Buffer.from(data) });
  const entries: BundleEntry[] = [
    { kind: 'dir', name: 'skiff/' },
    { kind: 'dir', name: Entry.trustDir },
    ...src.chain.map((root, i) => file(Entry.root(i + 1), root)),
    file(Entry.release, src.release.bytes),
    file(Entry.signature, src.release.sig),
    file(Entry.index, JSON.stringify(index, null, 2)),
    file(Entry.ociLayout, JSON.stringify({ imageLayoutVersion: OciLayoutVersion })),
    file(Entry.ociIndex, ociIndex(src)),
    { kind: 'dir', name: 'blobs/' },
    { kind: 'dir', name: Entry.blobsDir },
    ...index.blobs
      .filter((b) => b.included)
      .map((b): BundleEntry =>
        encrypter
          ? { kind: 'blob', name: encryptedBlobEntry(b.digest), digest: b.digest, size: b.size, entrySize: encrypter.ciphertextSize(b.size) }
          : { kind: 'blob', name: Entry.blob(b.digest), digest: b.digest, size: b.size, entrySize: b.size },
      ),
    ...(index.packs ?? []).map((p): BundleEntry => ({ kind: 'blob', name: Entry.chunks(p.layer as Digest), digest: p.digest, size: p.size, entrySize: p.size })),
  ];
  // Encrypted blobs are for the agent alone: docker load could not read them.
  const dockerManifest = encrypter ? undefined : await dockerLoadManifest(src, index);
  if (dockerManifest) entries.push(file(Entry.dockerManifest, dockerManifest));
  return { index, entries, ...(encrypter ? { encrypter } : {}) };
}

const TAR_BLOCK = 512;

/** The exact byte length `writeBundle` will produce (names stay under 100 bytes: one header block each). */
export async function bundleSize(src: BundleSource): Promise<number> {
  const { entries } = await bundleEntries(src);
  const body = (n: number) => Math.ceil(n / TAR_BLOCK) * TAR_BLOCK;
  const size = (e: BundleEntry) => (e.kind === 'dir' ? 0 : e.kind === 'file' ? e.data.length : e.entrySize);
  return entries.reduce((total, e) => total + TAR_BLOCK + body(size(e)), 2 * TAR_BLOCK);
}

type Pack = ReturnType<typeof tar.pack>;
type EntryHeader = Parameters<Pack['entry']>[0];

/**
 * Adds one entry and resolves when the pack has taken it. The pack destroys its current entry stream when it is
 * destroyed itself (destination gone, signal aborted); that entry's 'error' must have a listener, or it is an
 * uncaught exception. Errors still reach the caller: through `pipeline` for a blob, the entry's callback otherwise.
 */
async function addEntry(pack: Pack, header: EntryHeader, content?: Buffer | (() => Promise<Readable>), signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  if (typeof content !== 'function')
    return new Promise((resolve, reject) => {
      const cb = (e?: Error | null) => (e ? reject(e) : resolve());
      const entry = content ? pack.entry(header, content, cb) : pack.entry(header, cb);
      entry.on('error', reject);
    });
  const entry = pack.entry(header);
  entry.on('error', () => undefined);
  let source: Readable;
  try {
    source = await content();
  } catch (e) {
    entry.destroy(e as Error);
    throw e;
  }
  // Node's pipeline never settles on a tar entry (a streamx stream) that was destroyed before it started.
  if (entry.destroying) {
    source.destroy();
    throw new Error('the bundle stream was closed');
  }
  await pipeline(source, entry, { signal });
}

/** Streams the bundle into `out`; blobs are read from the store one at a time, never held in memory. */
export async function writeBundle(src: BundleSource, out: Writable, onProgress?: WriteProgress, signal?: AbortSignal): Promise<BundleIndex> {
  const { index, entries, encrypter } = await bundleEntries(src);
  signal?.throwIfAborted();
  const pack = tar.pack();
  const done = pipeline(pack, out, { signal });
  const produce = async (): Promise<void> => {
    let written = 0;
    for (const e of entries) {
      if (e.kind === 'dir') await addEntry(pack, { name: e.name, type: 'directory', mode: 0o755, ...FIXED_HEADER }, undefined, signal);
      else if (e.kind === 'file') await addEntry(pack, { name: e.name, mode: 0o644, ...FIXED_HEADER }, e.data, signal);
      else {
        const blob = () => src.blobs.get(e.digest, { signal, chunkSize: src.chunkSize });
        await addEntry(pack, { name: e.name, size: e.entrySize, mode: 0o644, ...FIXED_HEADER }, encrypter ? async () => encrypter.encrypt(await blob()) : blob, signal);
        written += e.size;
        onProgress?.(written, index.includedBytes);
      }
    }
    pack.finalize();
  };
  // Whichever fails first (reading the store, or the destination) ends both; the destination's error is the one reported.
  const produced = produce().catch((e: unknown) => {
    pack.destroy(e as Error);
    throw e;
  });
  const [first] = await Promise.allSettled([done, produced]);
  if (first.status === 'rejected') throw first.reason;
  await produced;
  return index;
}
