// Reads a .skiff bundle in one pass: trust and signature first, then every blob hashed against what the
// signed release reaches. Nothing is trusted that the root → release → manifest → blob chain does not vouch for.
import type { Readable } from 'node:stream';
import type { Extract } from 'tar-stream';
import { parseImageManifest, type ImageManifest, type Digest } from '../oci/index.ts';
import { walkReleaseBlobs, type ReleaseBlob, type ReleaseBlobWalk, releaseDigest, type ReleaseManifest } from '../release/index-manifest.ts';
import { SkiffError, isSkiffError } from '../util/index.ts';
import { blobsDisagreement, bundleJsonMessage, indexDisagreement } from './bundle-json.ts';
import {
  EntryBudget,
  entryBytes,
  bundleInvalid as invalid,
  extractEntries,
  parseJsonEntry,
  type TarEntry,
} from './entries.ts';
import {
  BLOB_ENTRY_RE,
  CHUNKS_ENTRY_RE,
  BundleIndexSchema,
  BundleLimits,
  Entry,
  basesText,
  entryLimit,
  type BundleIndex,
} from './format.ts';
import { BlobDecrypter, ENCRYPTED_BLOB_ENTRY_RE } from './decryption.ts';
import { readPackEntry } from './packs.ts';
import type { BundleContents, ReadOptions } from './read-options.ts';
import { TrustChainRead, type Verified } from './trust-chain-read.ts';

export async function readBundle(source: Readable, opts: ReadOptions): Promise<BundleContents> {
  const extract = extractEntries(source, opts.name ?? 'this file');
  try {
    const contents = await new BundleRead(opts).consume(extract);
    // Layers rebuilt on worker threads while the bundle was read on: the read is done when they are in the sink.
    await opts.sink.settle?.();
    return contents;
  } catch (e) {
    extract.destroy();
    await opts.sink.settle?.().catch(() => undefined);
    if (isSkiffError(e)) throw e;
    // Opening a directory succeeds and only its read fails, with an EISDIR that names no path.
    if ((e as NodeJS.ErrnoException).code === 'EISDIR')
      throw new SkiffError('USAGE', `${opts.name ?? 'the bundle'} is a directory: pass the .skiff file inside it`, { cause: e });
    const msg = e instanceof Error ? e.message : String(e);
    if (/unexpected end|premature|truncat/i.test(msg))
      throw new SkiffError(
        'BUNDLE_TRUNCATED',
        'bundle is truncated: the file ends early; copy it again and check its size',
        { cause: e },
      );
    throw new SkiffError('BUNDLE_INVALID', `bundle is not a readable .skiff tar: ${msg}`, { cause: e });
  }
}

/** One read of one bundle: the state its entries build up, in the order the format fixes. */
class BundleRead {
  readonly #opts: ReadOptions;
  readonly #budget = new EntryBudget();
  readonly #trust: TrustChainRead;
  #verified: Verified | undefined;
  #index: BundleIndex | undefined;
  readonly #layoutSeen = new Set<string>();
  /** Image manifests read from the bundle, parsed; a delta's others come from the sink when the walk is planned. */
  readonly #manifests = new Map<Digest, ImageManifest>();
  #walk: ReleaseBlobWalk | undefined;
  #reachable = new Map<Digest, ReleaseBlob>();
  readonly #received = new Set<Digest>();
  readonly #rebuilt = new Set<Digest>();
  readonly #packsRead = new Set<Digest>();
  #receivedBytes = 0;
  readonly #decrypter: BlobDecrypter | undefined;

  constructor(opts: ReadOptions) {
    this.#opts = opts;
    this.#trust = new TrustChainRead(opts.verify, this.#budget);
    this.#decrypter = opts.identities?.length ? new BlobDecrypter(opts.identities) : undefined;
  }

  /** An encrypted bundle read without a key: refused once the signature is checked, before anything is decrypted. */
  #needsIdentity(recipients: readonly string[] | undefined): SkiffError {
    const to = recipients?.length ? ` to ${recipients.join(', ')}` : '';
    return new SkiffError('USAGE', `bundle ${this.#opts.name ?? ''} is encrypted${to}: pass --identity FILE holding the matching age secret key (AGE-SECRET-KEY-1…)`.replace('bundle  is', 'bundle is'));
  }

  async consume(entries: Extract): Promise<BundleContents> {
    for await (const entry of entries) {
      this.#opts.signal?.throwIfAborted();
      const { name, type, size = 0 } = entry.header;
      this.#budget.count(name);
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      if (type !== 'file')
        throw invalid(`entry ${name} is a ${type}; only files and directories are allowed`);
      const blobMatch = BLOB_ENTRY_RE.exec(name);
      const sealedMatch = ENCRYPTED_BLOB_ENTRY_RE.exec(name);
      const packMatch = CHUNKS_ENTRY_RE.exec(name);
      if (!this.#verified) this.#verified = await this.#trust.entry(entry, name, size);
      else if (name === Entry.index && !this.#index)
        await this.#indexEntry(entry, name, size, this.#verified);
      else if (
        // Layout files for other tools (docker load's manifest.json too): read within their limits, never trusted.
        (name === Entry.ociLayout || name === Entry.ociIndex || name === Entry.dockerManifest) &&
        this.#index &&
        !this.#layoutSeen.has(name)
      ) {
        this.#layoutSeen.add(name);
        parseJsonEntry(await this.#budget.read(entry, name, size, entryLimit(name)!), name);
      } else if (blobMatch && this.#index)
        await this.#blobEntry(
          entryBytes(entry),
          `sha256:${blobMatch[1]}` as Digest,
          size,
          this.#verified.release,
          this.#index,
        );
      else if (sealedMatch && this.#index) {
        const digest = `sha256:${sealedMatch[1]}` as Digest;
        if (!this.#decrypter) throw this.#needsIdentity(this.#index.encryption?.recipients);
        const plain = await this.#decrypter.open(entryBytes(entry), size, digest);
        await this.#blobEntry(plain.data, digest, plain.size, this.#verified.release, this.#index);
      } else if (packMatch && this.#index) await this.#packEntry(entryBytes(entry), `sha256:${packMatch[1]}` as Digest, size, this.#verified.release, this.#index);
      else throw invalid(`unexpected entry ${name}`);
    }
    return this.#finish();
  }

  async #indexEntry(entry: TarEntry, name: string, size: number, v: Verified): Promise<void> {
    const raw = await this.#budget.read(entry, name, size, entryLimit(name)!, true);
    const parsed = BundleIndexSchema.safeParse(parseJsonEntry(raw, name));
    if (!parsed.success)
      throw invalid(`${name}: ${parsed.error.issues[0]?.path.join('.') ?? ''} is malformed`);
    const why = indexDisagreement(parsed.data, v.release, releaseDigest(v.releaseBytes));
    if (why) throw invalid(bundleJsonMessage(why));
    if (parsed.data.encryption && !this.#decrypter) throw this.#needsIdentity(parsed.data.encryption.recipients);
    this.#index = parsed.data;
    if (parsed.data.packs?.length) this.#opts.sink.expectRebuilds?.();
    await this.#opts.beforeBlobs?.(v.release, parsed.data);
  }

  async #blobEntry(
    entry: AsyncIterable<Uint8Array>,
    digest: Digest,
    size: number,
    release: ReleaseManifest,
    index: BundleIndex,
  ): Promise<void> {
    if (this.#received.has(digest)) throw invalid(`blob ${digest} appears twice`);
    const image = Object.values(release.images).find((i) => i.manifestDigest === digest);
    if (image && !this.#walk) {
      if (size !== image.sizes.manifest)
        throw invalid(`blob ${digest} is ${size} bytes, the signed release says ${image.sizes.manifest}`);
      const bytes = await this.#budget.read(entry, Entry.blob(digest), size, {
        what: 'an image manifest',
        limit: BundleLimits.manifestBytes,
      });
      await this.#opts.sink.write(digest, size, bytes);
      this.#manifests.set(digest, parseImageManifest(bytes, `image manifest ${digest}`));
    } else {
      if (!this.#walk) await this.#plan(release, index, false);
      const blob = this.#reachable.get(digest);
      if (!blob)
        throw invalid(`blob ${digest} is not reached by the signed release (or comes before its manifest)`);
      if (blob.kind === 'manifest')
        throw invalid(
          `image manifest ${digest} comes after a config or layer: a bundle carries its manifests first`,
        );
      if (blob.size !== size)
        throw invalid(`blob ${digest} is ${size} bytes, the signed manifests say ${blob.size}`);
      await this.#opts.sink.write(digest, size, entry);
    }
    this.#received.add(digest);
    this.#receivedBytes += size;
    this.#opts.onProgress?.(this.#receivedBytes, index.includedBytes);
  }

  async #packEntry(pack: AsyncIterable<Uint8Array>, layer: Digest, size: number, release: ReleaseManifest, index: BundleIndex): Promise<void> {
    if (!this.#walk) await this.#plan(release, index, false);
    const ctx = { release, index, manifests: this.#manifests, reachable: this.#reachable, received: this.#received, rebuilt: this.#rebuilt, sink: this.#opts.sink };
    await readPackEntry(ctx, layer, pack);
    this.#packsRead.add(layer);
    this.#opts.onProgress?.(this.#receivedBytes + size, index.includedBytes);
  }

  /** Every image manifest is now known (read, or in the sink) or never will be: walk the release to every blob and size. */
  async #plan(release: ReleaseManifest, index: BundleIndex, atEnd: boolean): Promise<ReleaseBlobWalk> {
    for (const img of Object.values(release.images)) {
      if (this.#manifests.has(img.manifestDigest)) continue;
      const bytes = await this.#opts.sink.readSmall(img.manifestDigest);
      if (bytes)
        this.#manifests.set(
          img.manifestDigest,
          parseImageManifest(bytes, `image manifest ${img.manifestDigest}`),
        );
    }
    const walk = walkReleaseBlobs(release, this.#manifests);
    this.#walk = walk;
    this.#reachable = new Map(walk.blobs.map((b) => [b.digest, b]));
    const listedIncluded = new Set(index.blobs.filter((b) => b.included).map((b) => b.digest));
    const listedPacks = new Set(index.packs?.map((p) => p.layer));
    const lost = walk.unknown.find((d) => listedIncluded.has(d));
    if (lost && atEnd) throw truncated(lost);
    if (lost)
      throw invalid(
        `image manifest ${lost} is not among the manifests before the first config or layer, though bundle.json lists it`,
      );
    if (atEnd) return walk;
    const absent = await this.#absent(walk);
    // bundle.json is only a hint, but a blob it says is not here will not come: refuse now rather than after the layers.
    const notCarried = absent.filter((b) => !listedIncluded.has(b.digest) && !listedPacks.has(b.digest));
    if (!this.#opts.allowMissing && notCarried.length > 0)
      throw baseMissing(release, index, notCarried.length);
    const incoming = absent.filter((b) => !walk.unknown.includes(b.digest));
    await this.#opts.beforeLayers?.({ blobs: incoming.length, bytes: incoming.reduce((n, b) => n + b.size, 0) }, release);
    return walk;
  }

  /** Blobs of the walk neither read from the bundle nor in the sink (an image manifest nobody can read counts as absent). */
  async #absent(walk: ReleaseBlobWalk): Promise<ReleaseBlob[]> {
    const absent: ReleaseBlob[] = [];
    for (const b of walk.blobs) {
      if (this.#received.has(b.digest) || this.#rebuilt.has(b.digest)) continue;
      if (walk.unknown.includes(b.digest) || !(await this.#opts.sink.has(b.digest))) absent.push(b);
    }
    return absent;
  }

  async #finish(): Promise<BundleContents> {
    const v = this.#verified;
    if (!v)
      throw new SkiffError('BUNDLE_TRUNCATED', 'bundle is truncated or empty: it carries no signed release');
    const index = this.#index;
    if (!index) throw new SkiffError('BUNDLE_TRUNCATED', 'bundle is truncated: skiff/bundle.json is missing');
    const walk = this.#walk ?? (await this.#plan(v.release, index, true));
    const missing = await this.#absent(walk);
    const lost = missing.find((b) => index.blobs.some((x) => x.digest === b.digest && x.included) || index.packs?.some((p) => p.layer === b.digest && !this.#packsRead.has(p.layer)));
    if (lost) throw truncated(lost.digest);
    const why = blobsDisagreement(index, walk, this.#received);
    if (why) throw invalid(bundleJsonMessage(why));
    if (missing.length > 0 && !this.#opts.allowMissing) throw baseMissing(v.release, index, missing.length);
    return {
      chain: this.#trust.chain,
      ...v,
      index,
      received: [...this.#received],
      rebuilt: [...this.#rebuilt],
      receivedBytes: this.#receivedBytes,
      missing,
      peakBufferedBytes: this.#budget.peakBytes,
    };
  }
}

const truncated = (digest: Digest) =>
  new SkiffError(
    'BUNDLE_TRUNCATED',
    `bundle is truncated: blob ${digest} is missing; copy the file again and check its size`,
  );

/** Blobs the release needs are neither in the bundle nor here: only a delta's base may be absent (bundle.json names it, as a hint). */
const baseMissing = (release: ReleaseManifest, index: BundleIndex, count: number) =>
  new SkiffError(
    'BASE_MISSING',
    `this delta bundle needs ${basesText(release.app, index)} installed first (${count} blobs of it are missing): install that release, or use a full bundle`,
  );
