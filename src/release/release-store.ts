// Releases kept beside the blobs of a content store: release.json, release.sig and the app's root chain.
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { semver } from '../util/index-semver.ts';
import type { FsBlobStore } from '../store/index.ts';
import { writeFileAtomic, SkiffError } from '../util/index.ts';
import { parseReleaseManifest, releaseDigest, type ReleaseManifest } from './manifest.ts';
import type { Digest } from '../oci/index.ts';

export interface StoredRelease {
  readonly manifest: ReleaseManifest;
  readonly bytes: Buffer;
  readonly sig: Buffer;
  readonly digest: Digest;
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function findRelease(store: FsBlobStore, app: string, version: string): Promise<StoredRelease | undefined> {
  const bytes = await readOptional(store.paths.releaseJson(app, version));
  if (!bytes) return undefined;
  const sig = await readOptional(store.paths.releaseSig(app, version));
  if (!sig) throw new SkiffError('STATE_INVALID', `release ${app}@${version} in the store has no signature file`);
  const manifest = parseReleaseManifest(bytes, `${app}@${version} release.json`);
  return { manifest, bytes, sig, digest: releaseDigest(bytes) };
}

export async function getRelease(store: FsBlobStore, app: string, version: string): Promise<StoredRelease> {
  const r = await findRelease(store, app, version);
  if (!r) throw new SkiffError('NOT_FOUND', `release ${app}@${version} is not in the store at ${store.paths.root}: create or import it first`);
  return r;
}

/** Written last, after every blob it reaches is in the store: a release is visible only when complete. */
export async function saveRelease(store: FsBlobStore, bytes: Uint8Array, sig: Uint8Array, chain: readonly Uint8Array[]): Promise<StoredRelease> {
  const manifest = parseReleaseManifest(bytes);
  for (const [i, root] of chain.entries()) {
    const path = store.paths.rootFile(manifest.app, i + 1);
    const existing = await readOptional(path);
    if (!existing || !existing.equals(root)) await writeFileAtomic(path, root);
  }
  await mkdir(store.paths.releaseDir(manifest.app, manifest.version), { recursive: true });
  await writeFileAtomic(store.paths.releaseSig(manifest.app, manifest.version), sig);
  await writeFileAtomic(store.paths.releaseJson(manifest.app, manifest.version), bytes);
  return { manifest, bytes: Buffer.from(bytes), sig: Buffer.from(sig), digest: releaseDigest(bytes) };
}

/** The app's root chain as stored: root.1.json … root.N.json bytes. */
export async function loadChain(store: FsBlobStore, app: string): Promise<Buffer[]> {
  const chain: Buffer[] = [];
  for (let n = 1; ; n++) {
    const b = await readOptional(store.paths.rootFile(app, n));
    if (!b) return chain;
    chain.push(b);
  }
}

async function dirNames(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Every complete release in the store, apps by name, versions in semver order. */
export async function listReleases(store: FsBlobStore, app?: string): Promise<StoredRelease[]> {
  const apps = app ? [app] : (await dirNames(store.paths.releasesDir())).sort();
  const out: StoredRelease[] = [];
  for (const a of apps) {
    const versions = (await dirNames(store.paths.releasesDir(a))).filter((v) => semver.valid(v)).sort(semver.compare);
    for (const v of versions) {
      const r = await findRelease(store, a, v);
      if (r) out.push(r);
    }
  }
  return out;
}

/** Parses `app@version`. */
export function parseAppVersion(s: string): { app: string; version: string } {
  const m = /^([^@\s]+)@([^@\s]+)$/.exec(s);
  if (!m?.[1] || !m[2]) throw new SkiffError('USAGE', `"${s}" is not APP@VERSION (e.g. netmon@1.2.0)`);
  return { app: m[1], version: m[2] };
}
