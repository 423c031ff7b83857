// Creates a signed release: validate the Compose file, read every image from the engine into the store,
// write the canonical manifest and its signature. The same version with other content is refused.
import { readFile } from 'node:fs/promises';
import { parseCompose } from '../compose/index.ts';
import { loadTrustDir, serializeRoot } from '../trust/index.ts';
import { FsBlobStore, checkAppName, checkVersion } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import { importEngineImage, type ImageSource, type StoredImage } from './import-image.ts';
import { RELEASE_SCHEMA, releaseBytes, releaseContent, type ReleaseManifest } from './manifest.ts';
import { findRelease, saveRelease, type StoredRelease } from './release-store.ts';

export const AGENT_VERSION = '0.1.0';

export interface CreateReleaseOptions {
  readonly composeFile: string;
  readonly app: string;
  readonly version: string;
  readonly trustDir: string;
  readonly store: FsBlobStore;
  readonly engine: ImageSource;
  readonly changelog?: string;
  readonly channelHints?: readonly string[];
  /** The oldest agent that may install the release (it uses something older agents cannot do); default this one. */
  readonly minAgentVersion?: string;
  readonly onImage?: (service: string, ref: string) => void;
  readonly signal?: AbortSignal;
}

export async function createRelease(opts: CreateReleaseOptions): Promise<{ release: StoredRelease; created: boolean }> {
  checkAppName(opts.app);
  checkVersion(opts.version);
  if (opts.minAgentVersion !== undefined) checkVersion(opts.minAgentVersion);
  const text = await readFile(opts.composeFile, 'utf8').catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', `cannot read the Compose file ${opts.composeFile}: ${(e as Error).message}`);
  });
  const compose = parseCompose(text, opts.composeFile);
  const trust = await loadTrustDir(opts.trustDir);

  const byRef = new Map<string, Promise<StoredImage>>();
  const images: ReleaseManifest['images'] = {};
  for (const [service, ref] of Object.entries(compose.imageRefs).sort(([a], [b]) => a.localeCompare(b))) {
    if (ref.includes('${')) throw new SkiffError('COMPOSE_INVALID', `services.${service}.image "${ref}" uses a setting: a release pins its images, write the image name`);
    opts.onImage?.(service, ref);
    let p = byRef.get(ref);
    if (!p) {
      p = importEngineImage(opts.engine, ref, opts.store, opts.signal);
      byRef.set(ref, p);
    }
    const img = await p;
    images[service] = {
      ref,
      manifestDigest: img.manifestDigest,
      manifestMediaType: img.manifestMediaType,
      configDigest: img.configDigest,
      platform: img.platform,
      sizes: { manifest: img.manifestSize, total: img.size },
    };
  }

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
    sbom: [],
  };
  const existing = await findRelease(opts.store, opts.app, opts.version);
  if (existing) {
    if (releaseContent(existing.manifest) === releaseContent(manifest)) return { release: existing, created: false };
    throw new SkiffError('RELEASE_EXISTS', `${opts.app}@${opts.version} already exists with different content: releases are immutable, use a new version`);
  }
  const bytes = releaseBytes(manifest);
  const sig = Buffer.from(JSON.stringify(trust.signRelease(bytes)));
  const chain = trust.chain.map((r) => Buffer.from(serializeRoot(r)));
  return { release: await saveRelease(opts.store, bytes, sig, chain), created: true };
}
