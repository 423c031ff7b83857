// One image sent to the engine as a chain of `docker load`s, so the engine applies its bottom layers while the top ones
// are still verified and sent: the engine reads a whole archive before it applies any layer of it. Link k is an image
// of our own making — the signed config with its diffIDs cut to the first layers, labelled skiff.partial-load=<app> —
// carrying only the layers the links before it did not (the engine skips a layer whose chain it holds, as with
// skipLayers). The last link is the signed config itself, so the image ID is still the signed config digest.
import { Readable } from 'node:stream';
import type { AgentEngine } from '../engine/index.ts';
import { sha256, type Digest, type ImageManifest } from '../oci/index.ts';
import { dockerArchive, type OpenBlob } from './docker-archive.ts';

/** The least bytes of layer blobs a link carries: a load costs the engine a round of its own (a temp dir, a manifest). */
export const LINK_BYTES = 8 * 2 ** 20;

/** The label of a link's image: the app it was loaded for (removed after the load, or at the next agent start). */
export const PARTIAL_LOAD_LABEL = 'skiff.partial-load';

/**
 * Where the links end (layer counts, bottom first) for layers of `sizes`, the first `skip` held by the engine already:
 * each link takes layers until it carries `linkBytes`, and a smaller rest goes with the last one. One end: no chain.
 */
export function linkEnds(sizes: readonly number[], skip: number, linkBytes = LINK_BYTES): number[] {
  const ends: number[] = [];
  let bytes = 0;
  for (let i = skip; i < sizes.length; i++) {
    bytes += sizes[i]!;
    if (bytes >= linkBytes) {
      ends.push(i + 1);
      bytes = 0;
    }
  }
  if (ends.at(-1) !== sizes.length) {
    if (ends.length > 0) ends[ends.length - 1] = sizes.length;
    else ends.push(sizes.length);
  }
  return ends;
}

/**
 * A link's config: the signed one with its diffIDs (and the history entries of layers) cut to the first `end` layers,
 * labelled as a partial load of `app`. The engine refuses a config whose history names more layers than its rootfs.
 */
export function partialConfig(signed: Buffer, end: number, app: string): Buffer {
  const config = JSON.parse(signed.toString('utf8')) as Record<string, unknown> & {
    rootfs: { diff_ids: string[] };
    history?: { empty_layer?: boolean }[];
    config?: { Labels?: Record<string, string> | null };
  };
  let layers = 0;
  const history = config.history?.filter((h) => (h.empty_layer ? layers : ++layers) <= end);
  const labels = { ...(config.config?.Labels ?? {}), [PARTIAL_LOAD_LABEL]: app };
  return Buffer.from(
    JSON.stringify({
      ...config,
      rootfs: { ...config.rootfs, diff_ids: config.rootfs.diff_ids.slice(0, end) },
      ...(history ? { history } : {}),
      config: { ...(config.config ?? {}), Labels: labels },
    }),
  );
}

export interface Chain {
  readonly manifest: ImageManifest;
  /** The signed config's bytes (verified). */
  readonly config: Buffer;
  /** linkEnds(…): more than one. */
  readonly ends: readonly number[];
  /** Bottom layers the engine holds already as a chain. */
  readonly skip: number;
  /** The signed sizes of the layers' tars (the release's sizes.layerTars): gzip layers are then sent inflated. */
  readonly tarSizes?: readonly number[];
}

const abortPromise = (signal: AbortSignal | undefined): Promise<never> =>
  new Promise((_res, rej) => {
    if (signal?.aborted) rej(signal.reason as Error);
    signal?.addEventListener('abort', () => rej(signal.reason as Error), { once: true });
  });

/**
 * Loads the chain's links in order. Link k+1's archive streams in while the engine applies link k, but ends only once
 * link k is loaded (the engine must hold link k's layers when it reads link k+1's manifest). A link whose archive was
 * sent whole is let finish even on abort, so the images removed at the end are all there is: none is created later.
 * Throws when a link fails; the link images are removed in every case.
 */
export async function loadChain(
  engine: AgentEngine,
  app: string,
  chain: Chain,
  open: OpenBlob,
  signal?: AbortSignal,
): Promise<void> {
  const { manifest, ends } = chain;
  const aborted = abortPromise(signal);
  aborted.catch(() => undefined);
  const loads: Promise<void>[] = [];
  const partials: string[] = [];
  let previous: Promise<void> = Promise.resolve();
  let start = chain.skip;
  try {
    for (const end of ends) {
      const last = end === manifest.layers.length;
      const bytes = last ? chain.config : partialConfig(chain.config, end, app);
      const digest: Digest = last ? manifest.config.digest : sha256(bytes);
      if (!last) partials.push(digest);
      const link: ImageManifest = {
        ...manifest,
        config: { ...manifest.config, digest, size: bytes.length },
        layers: manifest.layers.slice(0, end),
      };
      const linkOpen: OpenBlob = async (d) => (d === digest ? Readable.from([bytes]) : open(d));
      const before = previous;
      let sent = (): void => undefined;
      const allSent = new Promise<void>((resolve) => (sent = resolve));
      const ending = async (): Promise<void> => {
        sent();
        await Promise.race([before, aborted]);
      };
      const load = engine.imageLoad(
        dockerArchive([{ manifest: link, skipLayers: start, tarSizes: chain.tarSizes?.slice(0, end) }], linkOpen, { signal, inflate: true, beforeEnd: ending }),
      );
      loads.push(load);
      // The next link starts streaming once this one's blobs are all sent (the engine spools it while it applies).
      await Promise.race([allSent, load]);
      previous = load;
      start = end;
    }
    await previous;
  } finally {
    await Promise.allSettled(loads);
    for (const id of partials) await engine.imageRemove(id).catch(() => undefined);
  }
}

/** Removes the link images a killed agent left for `app` (a container using one keeps it: the engine refuses). */
export async function removePartialImages(
  engine: AgentEngine,
  app: string,
  signal?: AbortSignal,
): Promise<void> {
  for (const img of await engine.imageList({ label: [`${PARTIAL_LOAD_LABEL}=${app}`] }, signal))
    await engine.imageRemove(img.id, {}, signal).catch(() => undefined);
}
