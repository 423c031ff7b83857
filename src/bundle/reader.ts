// Reads a .skiff bundle in one pass: trust and signature first, then every blob hashed against what the
// signed release reaches. Nothing is trusted that the root → release → manifest → blob chain does not vouch for.
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar, { type Extract } from 'tar-stream';
import { parseImageManifest } from '../oci/manifest.ts';
import type { Digest } from '../oci/digest.ts';
import type { ReleaseManifest } from '../release/manifest.ts';
import { SkiffError, isSkiffError } from '../util/errors.ts';
import { BLOB_ENTRY_RE, BundleIndexSchema, Entry, MAX_METADATA_BYTES, ROOT_ENTRY_RE, type BundleIndex } from './format.ts';
import { BundleStart } from './recognize.ts';

/** Verifies the carried root chain and the release signature; returns the release or throws. */
export type TrustVerifier = (chain: readonly Buffer[], releaseBytes: Buffer, sig: Buffer) => ReleaseManifest;

/** Where verified blobs go: a staging store on install, nowhere on `bundle verify`. */
export interface BlobSink {
  /** The blob is already available (a delta's base); its bytes need not be in the bundle. */
  has(digest: Digest): Promise<boolean>;
  /** Small blobs (manifests) already available, to follow what they reach; undefined when not. */
  readSmall(digest: Digest): Promise<Buffer | undefined>;
  /** Consumes the stream; must throw unless it hashes to `digest` with `size` bytes. */
  write(digest: Digest, size: number, data: AsyncIterable<Uint8Array> | Buffer): Promise<void>;
}

export interface BundleContents {
  readonly chain: readonly Buffer[];
  readonly releaseBytes: Buffer;
  readonly sig: Buffer;
  readonly release: ReleaseManifest;
  readonly index: BundleIndex;
  /** Blobs verified from the bundle. */
  readonly received: readonly Digest[];
  /** Blobs the release reaches that neither the bundle nor the sink had (only when `allowMissing`). */
  readonly missing: readonly Digest[];
}

export interface ReadOptions {
  readonly verify: TrustVerifier;
  readonly sink: BlobSink;
  /** Called once the release is verified, before any blob is read: refuse early (wrong app, rollback, base, disk). */
  readonly beforeBlobs?: (release: ReleaseManifest, index: BundleIndex) => Promise<void>;
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** `bundle verify` of a delta cannot see the base: report what is missing instead of failing. */
  readonly allowMissing?: boolean;
  readonly signal?: AbortSignal;
  /** What to call the source in errors, e.g. the file's path. */
  readonly name?: string;
}

type TarEntry = Extract extends AsyncIterable<infer E> ? E : never;

const invalid = (msg: string) => new SkiffError('BUNDLE_INVALID', `bundle is invalid: ${msg}`);

export async function readBundle(source: Readable, opts: ReadOptions): Promise<BundleContents> {
  const extract = tar.extract();
  const start = new BundleStart(opts.name ?? 'this file');
  source.on('error', (e) => extract.destroy(e));
  start.on('error', (e) => extract.destroy(e));
  source.pipe(start).pipe(extract);
  try {
    return await consume(extract, opts);
  } catch (e) {
    source.unpipe(start);
    start.destroy();
    source.destroy();
    extract.destroy();
    if (isSkiffError(e)) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    if (/unexpected end|premature|truncat/i.test(msg))
      throw new SkiffError('BUNDLE_TRUNCATED', 'bundle is truncated: the file ends early; copy it again and check its size', { cause: e });
    throw new SkiffError('BUNDLE_INVALID', `bundle is not a readable .skiff tar: ${msg}`, { cause: e });
  }
}

async function consume(extract: Extract, opts: ReadOptions): Promise<BundleContents> {
  const chain: Buffer[] = [];
  let releaseBytes: Buffer | undefined;
  let sig: Buffer | undefined;
  let release: ReleaseManifest | undefined;
  let index: BundleIndex | undefined;
  const reachable = new Map<Digest, number | undefined>();
  const received: Digest[] = [];
  let done = 0;

  const reach = (bytes: Buffer, digest: Digest): void => {
    const m = parseImageManifest(bytes, `image manifest ${digest}`);
    for (const d of [m.config, ...m.layers]) if (!reachable.has(d.digest)) reachable.set(d.digest, d.size);
  };
  const small = async (entry: TarEntry, size: number, name: string): Promise<Buffer> => {
    if (size > MAX_METADATA_BYTES) throw invalid(`${name} is ${size} bytes, larger than any metadata file may be`);
    return buffer(entry);
  };

  for await (const entry of extract) {
    opts.signal?.throwIfAborted();
    const { name, type, size = 0 } = entry.header;
    if (type === 'directory') {
      entry.resume();
      continue;
    }
    if (type !== 'file') throw invalid(`entry ${name} is a ${type}; only files and directories are allowed`);
    const rootMatch = ROOT_ENTRY_RE.exec(name);
    const blobMatch = BLOB_ENTRY_RE.exec(name);
    if (!release) {
      if (rootMatch) {
        if (Number(rootMatch[1]) !== chain.length + 1) throw invalid(`${name} is out of order: roots must run 1, 2, 3…`);
        chain.push(await small(entry, size, name));
      } else if (name === Entry.release && chain.length > 0 && !releaseBytes) {
        releaseBytes = await small(entry, size, name);
      } else if (name === Entry.signature && releaseBytes) {
        sig = await small(entry, size, name);
        release = opts.verify(chain, releaseBytes, sig);
        for (const img of Object.values(release.images)) reachable.set(img.manifestDigest, img.sizes.manifest);
      } else {
        throw invalid(`${name} comes before the trust chain, release and signature (is this a .skiff bundle?)`);
      }
    } else if (name === Entry.index && !index) {
      const raw = await small(entry, size, name);
      const parsed = BundleIndexSchema.safeParse(parseJson(raw, name));
      if (!parsed.success) throw invalid(`${name}: ${parsed.error.issues[0]?.path.join('.') ?? ''} is malformed`);
      index = parsed.data;
      await opts.beforeBlobs?.(release, index);
    } else if ((name === Entry.ociLayout || name === Entry.ociIndex) && index) {
      parseJson(await small(entry, size, name), name);
    } else if (blobMatch && index) {
      const digest = `sha256:${blobMatch[1]}` as Digest;
      if (!reachable.has(digest)) throw invalid(`blob ${digest} is not reached by the signed release (or comes before its manifest)`);
      if (received.includes(digest)) throw invalid(`blob ${digest} appears twice`);
      const expected = reachable.get(digest);
      if (expected !== undefined && expected !== size) throw invalid(`blob ${digest} is ${size} bytes, the signed manifests say ${expected}`);
      if (isManifestDigest(release, digest)) {
        const bytes = await small(entry, size, name);
        await opts.sink.write(digest, size, bytes);
        reach(bytes, digest);
      } else {
        await opts.sink.write(digest, size, entry as unknown as AsyncIterable<Uint8Array>);
      }
      received.push(digest);
      done += size;
      opts.onProgress?.(done, index.includedBytes);
    } else {
      throw invalid(`unexpected entry ${name}`);
    }
  }
  if (!release || !releaseBytes || !sig) throw new SkiffError('BUNDLE_TRUNCATED', 'bundle is truncated or empty: it carries no signed release');
  if (!index) throw new SkiffError('BUNDLE_TRUNCATED', 'bundle is truncated: skiff/bundle.json is missing');

  // Follow manifests the bundle omitted (a delta's base) to find every blob the release needs.
  for (const img of Object.values(release.images)) {
    if (received.includes(img.manifestDigest)) continue;
    const bytes = await opts.sink.readSmall(img.manifestDigest);
    if (bytes) reach(bytes, img.manifestDigest);
  }
  const missing: Digest[] = [];
  for (const d of reachable.keys()) if (!received.includes(d) && !(await opts.sink.has(d))) missing.push(d);
  if (missing.length > 0) {
    const claimed = index.blobs.filter((b) => b.included).map((b) => b.digest);
    if (missing.some((d) => claimed.includes(d)))
      throw new SkiffError('BUNDLE_TRUNCATED', `bundle is truncated: blob ${missing[0]} is missing; copy the file again and check its size`);
    // Only a delta's base may be absent, and only when the caller asked to be told instead.
    if (index.base && opts.allowMissing) return { chain, releaseBytes, sig, release, index, received, missing };
    if (index.base)
      throw new SkiffError('BASE_MISSING', `this delta bundle needs ${index.app}@${index.base.version} installed first (${missing.length} blobs of it are missing): install that release, or use a full bundle`);
    throw invalid(`blob ${missing[0]} of the release is missing`);
  }
  return { chain, releaseBytes, sig, release, index, received, missing };
}

function isManifestDigest(release: ReleaseManifest, digest: Digest): boolean {
  return Object.values(release.images).some((i) => i.manifestDigest === digest);
}

function parseJson(raw: Buffer, name: string): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid(`${name} is not JSON`);
  }
}
