// A content-level delta's chunk pack, read in the bundle's one pass: it must rebuild a layer the signed release
// reaches, that the bundle does not carry whole, from the recipe the release signs (its layer index) and the image
// config's diffID; the sink rebuilds it, and only a layer that hashes to the signed digest is ever kept.
import type { PackCodec } from '../delta/index.ts';
import type { Digest, ImageManifest } from '../oci/index.ts';
import type { ReleaseBlob, ReleaseManifest } from '../release/index.ts';
import { bundleInvalid as invalid } from './entries.ts';
import type { BundleIndex } from './format.ts';
import type { BlobSink } from './sinks.ts';

export interface PackContext {
  readonly release: ReleaseManifest;
  readonly index: BundleIndex;
  readonly manifests: ReadonlyMap<Digest, ImageManifest>;
  readonly reachable: ReadonlyMap<Digest, ReleaseBlob>;
  readonly received: ReadonlySet<Digest>;
  readonly rebuilt: Set<Digest>;
  readonly sink: BlobSink;
}

/** What rebuilding `layer` needs, all from signed data: its size, its index blob, and where its config names its diffID. */
export interface RebuildRequest {
  readonly layer: Digest;
  readonly size: number;
  readonly index: Digest;
  readonly config: Digest;
  /** The layer's position in the image, i.e. in the config's rootfs.diff_ids. */
  readonly position: number;
  readonly pack: AsyncIterable<Uint8Array>;
  /** How the pack is compressed, as bundle.json says (a wrong one is a pack that does not decompress). */
  readonly codec: PackCodec;
}

/** Reads the pack of `layer`; true when the sink rebuilt it, false when it only checked and dropped it (`bundle verify`). */
export async function readPackEntry(ctx: PackContext, layer: Digest, pack: AsyncIterable<Uint8Array>): Promise<boolean> {
  const blob = ctx.reachable.get(layer);
  if (!blob || blob.kind !== 'layer') throw invalid(`chunk pack ${layer} is for no layer the signed release reaches`);
  if (ctx.received.has(layer) || ctx.rebuilt.has(layer)) throw invalid(`layer ${layer} comes whole and as a chunk pack, or as two packs`);
  const listed = ctx.index.packs?.find((p) => p.layer === layer);
  if (!listed || ctx.index.blobs.find((b) => b.digest === layer)?.included !== false)
    throw invalid(`skiff/bundle.json does not list the chunk pack of ${layer} as it should (bundle.json was altered): ask the vendor for an intact copy`);
  const ref = ctx.release.contentIndex?.find((c) => c.layer === layer);
  if (!ref) throw invalid(`layer ${layer} comes as a chunk pack, but the signed release has no recipe for it`);
  if (!ctx.received.has(ref.digest) && !(await ctx.sink.has(ref.digest)))
    throw invalid(`the recipe of layer ${layer} (${ref.digest}) comes neither before its chunk pack nor from the base`);
  const place = imagePosition(ctx.release, ctx.manifests, layer);
  if (!place) throw invalid(`layer ${layer} is in no image manifest read before its chunk pack`);
  const rebuilt = (await ctx.sink.rebuildLayer?.({ layer, size: blob.size, index: ref.digest, ...place, pack, codec: listed.codec ?? 'brotli' })) ?? false;
  if (!rebuilt) for await (const _ of pack);
  if (rebuilt) ctx.rebuilt.add(layer);
  return rebuilt;
}

function imagePosition(release: ReleaseManifest, manifests: ReadonlyMap<Digest, ImageManifest>, layer: Digest): { config: Digest; position: number } | undefined {
  for (const service of Object.keys(release.images).sort()) {
    const m = manifests.get(release.images[service]!.manifestDigest);
    const position = m?.layers.findIndex((l) => l.digest === layer) ?? -1;
    if (m && position >= 0) return { config: m.config.digest, position };
  }
  return undefined;
}
