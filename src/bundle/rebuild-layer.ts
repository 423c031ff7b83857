// The agent's rebuild of a layer a content-level delta carries as a chunk pack: unpack and check the chunks, rebuild
// the tar from the signed recipe with the base's chunks, check it against the config's diffID, then compress it as
// release create did (stored or gzip -6) and write it through the staging sink, which refuses all but the signed digest.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { ChunkLocator, FrameFeed, decodeLayerIndex, rebuildLayerPieces, rebuildLayerTar, unpackChunks, type BaseChunkMap, type BaseLayer, type FrameSession, type LayerFramer, type LayerIndex } from '../delta/index.ts';
import { gzipFileParallel, storedGzip, storedGzipSize, type Digest } from '../oci/index.ts';
import { listReleases } from '../release/index.ts';
import type { FsBlobStore } from '../store/index.ts';
import { SkiffError, isSkiffError } from '../util/index.ts';
import { bundleInvalid } from './entries.ts';
import type { RebuildRequest } from './packs.ts';

export interface RebuildTarget {
  /** Where the base layers and verified blobs are. */
  readonly store: FsBlobStore;
  /** Blobs verified from this bundle so far (the recipe and config may be among them). */
  readonly staging: FsBlobStore;
  /** The base layers, or their chunks mapped once for the whole install (one map per sink). */
  readonly bases: readonly BaseLayer[] | BaseChunkMap;
  readonly write: (digest: Digest, size: number, data: AsyncIterable<Uint8Array>) => Promise<void>;
  /** Worker threads for stored-gzip layers; with `adopt`, which moves a blob file already hashed to `digest` into staging. */
  readonly framer?: LayerFramer;
  readonly adopt?: (digest: Digest, path: string) => Promise<void>;
}

/** Every indexed layer the store holds, with its index: chunks a delta's pack leaves out are found there. */
export async function storeBases(store: FsBlobStore): Promise<BaseLayer[]> {
  const bases = new Map<Digest, BaseLayer>();
  for (const r of await listReleases(store))
    for (const c of r.manifest.contentIndex ?? []) if (!bases.has(c.layer) && (await store.has(c.layer)) && (await store.has(c.digest))) bases.set(c.layer, { layer: c.layer, index: c.digest });
  return [...bases.values()];
}

async function readVerified(t: RebuildTarget, digest: Digest): Promise<Buffer> {
  const from = (await t.staging.has(digest)) ? t.staging : t.store;
  return buffer(await from.get(digest));
}

function diffIdOf(config: Buffer, position: number, what: string): Digest {
  const ids = (JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
  const id = Array.isArray(ids) ? ids[position] : undefined;
  if (typeof id !== 'string') throw bundleInvalid(`the image config names no diffID for ${what}`);
  return id as Digest;
}

/** Rebuilds `req`'s layer into staging; returns when the layer is there (or the rebuild failed). */
export async function rebuildIntoStaging(req: RebuildRequest, t: RebuildTarget): Promise<void> {
  await (await startRebuild(req, t)).done;
}

/**
 * Reads `req`'s pack (the bundle's stream: the caller awaits this) and starts the rebuild; `done` settles when the
 * layer is in staging, or with the rebuild's error. With `t.framer`, a stored-gzip layer is rebuilt on a worker
 * thread, which starts on the bases' chunks at once; its pack is only copied here (decompressed later, from the copy),
 * so the bundle's next entries (and other layers) are read meanwhile.
 */
export async function startRebuild(req: RebuildRequest, t: RebuildTarget): Promise<{ done: Promise<void> }> {
  const what = `layer ${req.layer}`;
  const work = await mkdtemp(join(t.staging.paths.root, 'rebuild-'));
  const chunks = new ChunkLocator(t.store, work, t.bases);
  const cleanup = async () => {
    await chunks.close();
    await rm(work, { recursive: true, force: true });
  };
  let index: LayerIndex;
  let framing: Framing | undefined;
  let packCopy: string | undefined;
  try {
    index = await decodeLayerIndex(await readVerified(t, req.index), `the recipe of ${what}`);
    const diffId = diffIdOf(await readVerified(t, req.config), req.position, what);
    if (index.diffId !== diffId) throw bundleInvalid(`the recipe of ${what} rebuilds ${index.diffId}, the image config names ${diffId}`);
    if (t.framer && t.adopt && req.size === storedGzipSize(index.tarSize)) {
      // A worker frames the chunks the bases hold while the pack is copied: the pack's own come once it decompresses.
      framing = startFraming(index, chunks, work, t.framer, what);
      packCopy = join(work, 'pack.in');
      await pipeline(req.pack, createWriteStream(packCopy, { highWaterMark: 1 << 20 }));
    } else {
      // The bases' chunks are mapped while the pack decompresses (zlib works on libuv's threads meanwhile).
      const bases = chunks.prepare();
      bases.catch(() => undefined);
      await unpackPack(req, index, chunks, join(work, 'pack'), req.pack);
      await bases;
    }
  } catch (e) {
    await framing?.abandon();
    await cleanup();
    throw e;
  }
  const done = (async () => {
    try {
      if (framing && packCopy && t.adopt) await finishFraming(req, index, chunks, work, packCopy, framing, t.adopt);
      else await rebuildHere(req, index, chunks, work, t);
    } finally {
      await cleanup();
    }
  })();
  return { done };
}

/** Unpacks `pack` into `spool` and adds its chunks to `chunks` (as they come, to `onChunks` too). */
async function unpackPack(req: RebuildRequest, index: LayerIndex, chunks: ChunkLocator, spool: string, pack: AsyncIterable<Uint8Array>, onChunks?: () => void): Promise<void> {
  const wanted = new Map(index.chunks.map((c) => [c.digest, c.length]));
  const unpacked = await unpackChunks(pack, wanted, spool, `layer ${req.layer}`, req.codec, async (at) => {
    chunks.addPack(spool, at);
    onChunks?.();
  });
  chunks.addPack(spool, unpacked.at);
}

function notSigned(what: string, stored: boolean, cause?: unknown): SkiffError {
  return new SkiffError('DIGEST_MISMATCH', `${what} rebuilt to its exact diffID but compresses to other bytes than the signed layer (${stored ? 'not as a stored gzip' : "this agent's zlib differs from the one that made the release"}): ask the vendor for a bundle with whole layers (bundle create --layers-only), or releases made with release create --layer-compression stored`, cause === undefined ? {} : { cause });
}

/** A stored-gzip layer being framed on a worker: its recipe is fed as far as its chunks are found. */
interface Framing {
  readonly feed: FrameFeed;
  readonly session: FrameSession;
  readonly out: string;
  /** Ends the session without a result (the worker closes the blob file; the caller removes it). */
  abandon(): Promise<void>;
}

/** Opens a worker session for `index` and feeds it what the bases hold now (mapping them first). */
function startFraming(index: LayerIndex, chunks: ChunkLocator, work: string, framer: LayerFramer, what: string): Framing {
  const out = join(work, 'layer.gz');
  const session = framer.open({ tarSize: index.tarSize, out });
  const feed = new FrameFeed(index, chunks, session, what);
  void feed.next();
  const abandon = async () => {
    await feed.idle();
    await session.end(false).catch(() => undefined);
  };
  return { feed, session, out, abandon };
}

/**
 * Decompresses `req`'s pack (copied to `packCopy`) and feeds the worker its chunks as they come. The blob moves into
 * staging only when both digests are the signed ones.
 */
async function finishFraming(req: RebuildRequest, index: LayerIndex, chunks: ChunkLocator, work: string, packCopy: string, framing: Framing, adopt: NonNullable<RebuildTarget['adopt']>): Promise<void> {
  const what = `layer ${req.layer}`;
  const { feed, session, out } = framing;
  try {
    await unpackPack(req, index, chunks, join(work, 'pack'), createReadStream(packCopy, { highWaterMark: 1 << 20 }), () => void feed.next());
    await feed.next(true);
  } catch (e) {
    await framing.abandon();
    throw e;
  }
  const r = await session.end(true);
  if ('error' in r) {
    if (r.short) throw new SkiffError('DIGEST_MISMATCH', `${what} reads past the end of a base layer or of its chunk pack (${r.error}): the bundle or the base is damaged; nothing was installed`);
    throw new Error(`rebuilding ${what}: ${r.error}`);
  }
  if (r.diffId !== index.diffId)
    throw new SkiffError('DIGEST_MISMATCH', `${what} rebuilt from its recipe hashes to ${r.diffId}, not its diffID ${index.diffId}: the bundle or the base is damaged; nothing was installed`);
  if (r.digest !== req.layer || r.size !== req.size) throw notSigned(what, true);
  await adopt(req.layer, out);
}

async function rebuildHere(req: RebuildRequest, index: LayerIndex, chunks: ChunkLocator, work: string, t: RebuildTarget): Promise<void> {
  const what = `layer ${req.layer}`;
  // Compressed as release create did, told apart by the signed size: stored gzip (framed as the tar is rebuilt, the
  // same on every Node) or gzip -6 (zlib's output, which an agent on another zlib build may not reproduce). write()
  // keeps the layer only when it hashes to the signed digest; a rebuild error (diffID, missing chunk) is its own.
  // storedGzip copies each piece into its blocks before it asks for the next: the pieces may be transient.
  const stored = req.size === storedGzipSize(index.tarSize);
  let rebuildError: unknown;
  async function* rebuilt(): AsyncGenerator<Buffer> {
    try {
      yield* rebuildLayerPieces(index, chunks, what, { transient: true });
    } catch (e) {
      rebuildError = e;
      throw e;
    }
  }
  let data: AsyncIterable<Uint8Array>;
  if (stored) data = storedGzip(rebuilt(), index.tarSize);
  else {
    const tar = join(work, 'layer.tar');
    await rebuildLayerTar(index, chunks, tar, what);
    data = gzipFileParallel(tar, 6);
  }
  await t.write(req.layer, req.size, data).catch((e: unknown) => {
    if (rebuildError !== undefined) throw rebuildError;
    if (!isSkiffError(e, 'DIGEST_MISMATCH') && !isSkiffError(e, 'SIZE_MISMATCH')) throw e;
    throw notSigned(what, stored, e);
  });
}
