// Creates a signed release: validate the Compose file, read every image from the engine into the store, build the
// SBOM from their layers (a blob the manifest references), write the canonical manifest and its signature.
// The same version with other content is refused.
import { parseCompose } from '../compose/index.ts';
import { loadTrustDir, serializeRoot } from '../trust/index.ts';
import { FsBlobStore, checkAppName, checkVersion } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import { LayerCache, buildSbom, tarChanges, type LayerChanges } from '../sbom/index.ts';
import { readComposeFile } from './compose-file.ts';
import { importEngineImage, type ImageSource, type LayerCompression, type LayerTarReader, type StoredImage } from './import-image.ts';
import { AGENT_IMAGE, RELEASE_SCHEMA, releaseBytes, releaseContent, type ReleaseManifest } from './manifest.ts';
import { findRelease, saveRelease, type StoredRelease } from './release-store.ts';
import { storeSbom } from './sbom.ts';
import { provenanceStatement, saveProvenance, signProvenance, type ProvenanceInput } from './provenance.ts';
import { basename } from 'node:path';
import type { Digest } from '../oci/index.ts';
import { DEFAULT_AVERAGE, indexLayerTar, indexLayers, type LayerIndex } from '../delta/index.ts';
import { listReleases } from './release-store.ts';

export const AGENT_VERSION = '0.1.0';

export interface CreateReleaseOptions {
  readonly composeFile: string;
  /** The Compose file's text, when the caller has read it (readComposeFile) already. */
  readonly composeText?: string;
  readonly app: string;
  readonly version: string;
  readonly trustDir: string;
  readonly store: FsBlobStore;
  readonly engine: ImageSource;
  readonly changelog?: string;
  /** A skiff-agent image to carry as image AGENT_IMAGE (no service runs it): full bundles load it with docker load. */
  readonly agentImage?: string;
  readonly channelHints?: readonly string[];
  /** The oldest agent that may install the release (it uses something older agents cannot do); default this one. */
  readonly minAgentVersion?: string;
  readonly onImage?: (service: string, ref: string) => void;
  /** Record signed build provenance (in-toto / SLSA) beside the release. */
  readonly provenance?: Omit<ProvenanceInput, 'startedOn'>;
  /** Called once the images are in the store, before their SBOM is built from their layers. */
  readonly onSbom?: () => void;
  /** Called before each layer's content is indexed (chunks and recipe, for content-level deltas). */
  readonly onContentIndex?: () => void;
  /** 'stored' for a release meant for content-level deltas: larger layers, rebuilt at the site at the speed of a copy. */
  readonly layerCompression?: LayerCompression;
  readonly signal?: AbortSignal;
}

export async function createRelease(opts: CreateReleaseOptions): Promise<{ release: StoredRelease; created: boolean }> {
  const startedOn = new Date().toISOString();
  checkAppName(opts.app);
  checkVersion(opts.version);
  if (opts.minAgentVersion !== undefined) checkVersion(opts.minAgentVersion);
  const text = opts.composeText ?? (await readComposeFile(opts.composeFile));
  const compose = parseCompose(text, opts.composeFile);
  const trust = await loadTrustDir(opts.trustDir);

  const byRef = new Map<string, Promise<StoredImage>>();
  const images: ReleaseManifest['images'] = {};
  // Each layer is read for the SBOM from the engine's export, and a layer compressed now for its content index too (one
  // compressed before has its index in the store), rather than gunzipped again from the store afterwards.
  const fromTars = new Map<Digest, { changes: Promise<LayerChanges>; index?: Promise<LayerIndex> }>();
  const readTar: LayerTarReader = (diffId, open, fresh) => {
    const read = { changes: tarChanges(open(), opts.signal), ...(fresh ? { index: indexLayerTar(open(), DEFAULT_AVERAGE) } : {}) };
    fromTars.set(diffId, read);
    return Promise.all([read.changes, read.index]);
  };
  const refs = Object.entries(compose.imageRefs);
  if (opts.agentImage !== undefined) {
    if (AGENT_IMAGE in compose.imageRefs)
      throw new SkiffError('COMPOSE_INVALID', `services.${AGENT_IMAGE}: the name is reserved for the agent image that --agent-image carries; rename the service`);
    refs.push([AGENT_IMAGE, opts.agentImage]);
  }
  for (const [service, ref] of refs.sort(([a], [b]) => a.localeCompare(b))) {
    if (ref.includes('${')) throw new SkiffError('COMPOSE_INVALID', `services.${service}.image "${ref}" uses a setting: a release pins its images, write the image name`);
    opts.onImage?.(service, ref);
    let p = byRef.get(ref);
    if (!p) {
      p = importEngineImage(opts.engine, ref, opts.store, opts.signal, opts.layerCompression, readTar);
      byRef.set(ref, p);
    }
    const img = await p;
    images[service] = {
      ref,
      manifestDigest: img.manifestDigest,
      manifestMediaType: img.manifestMediaType,
      configDigest: img.configDigest,
      platform: img.platform,
      sizes: { manifest: img.manifestSize, total: img.size, layerTars: [...img.layerTars] },
    };
  }

  // What was read from the export, by layer digest (a layer without an index, nor one in the store, is read from the store).
  const cache = new LayerCache();
  const made = new Map<Digest, Promise<LayerIndex>>();
  for (const img of await Promise.all(byRef.values()))
    img.layers.forEach((l, i) => {
      const read = fromTars.get(img.diffIds[i]!);
      if (read) cache.add(l.digest, read.changes);
      if (read?.index) made.set(l.digest, read.index);
    });
  opts.onSbom?.();
  const sbomJson = await buildSbom(opts.store, { app: opts.app, version: opts.version, tool: { name: 'skiff', version: AGENT_VERSION } }, images, opts.signal, cache);
  const existing = await findRelease(opts.store, opts.app, opts.version);
  const sbom = await storeSbom(opts.store, sbomJson, existing);
  opts.onContentIndex?.();
  const layers = (await Promise.all(byRef.values())).flatMap((img) => img.layers.map((l) => l.digest));
  const known = (await listReleases(opts.store, opts.app)).flatMap((r) => r.manifest.contentIndex ?? []);
  const contentIndex = await indexLayers(opts.store, layers, known, opts.signal, DEFAULT_AVERAGE, made);

  const manifest: ReleaseManifest = {
    schema: RELEASE_SCHEMA,
    app: opts.app,
    version: opts.version,
    createdAt: new Date().toISOString(),
    channelHints: [...(opts.channelHints ?? [])],
    images,
    compose: compose.raw,
    configSchema: compose.config.map((c) => ({ ...c })),
    hooks: {},
    changelog: opts.changelog ?? '',
    minAgentVersion: opts.minAgentVersion ?? AGENT_VERSION,
    sbom: [sbom],
    contentIndex,
  };
  let result: { release: StoredRelease; created: boolean };
  if (existing) {
    if (releaseContent(existing.manifest) !== releaseContent(manifest))
      throw new SkiffError('RELEASE_EXISTS', `${opts.app}@${opts.version} already exists with different content: releases are immutable, use a new version`);
    result = { release: existing, created: false };
  } else {
    const bytes = releaseBytes(manifest);
    const sig = Buffer.from(JSON.stringify(trust.signRelease(bytes)));
    const chain = trust.chain.map((r) => Buffer.from(serializeRoot(r)));
    result = { release: await saveRelease(opts.store, bytes, sig, chain), created: true };
  }
  if (opts.provenance) {
    const statement = provenanceStatement(result.release, { path: basename(opts.composeFile), bytes: Buffer.from(text) }, { ...opts.provenance, startedOn }, new Date().toISOString());
    await saveProvenance(opts.store, result.release, signProvenance(statement, (b) => trust.signRelease(b)));
  }
  return result;
}
