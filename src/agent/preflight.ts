// Checks made before anything changes: room for the new blobs and images, and the host ports the release binds.
import { statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostPorts, type ComposeProject } from '../compose/index.ts';
import type { Digest, ImageManifest } from '../oci/index.ts';
import type { ReleaseManifest } from '../release/index.ts';
import { SkiffError } from '../util/index.ts';

/** Free bytes at `path`, or why they could not be measured. */
async function freeBytes(path: string): Promise<number | Error> {
  try {
    const s = await statfs(path);
    return s.bavail * s.bsize;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

export interface DiskCheck {
  readonly stateDir: string;
  /** The engine's data root as it reported it, or why it could not say. */
  readonly engineRoot: string | Error;
  readonly incomingBytes: number;
  /** What the engine will store for the images (engineBytes), when the release names its layers' tar sizes. */
  readonly engineBytes?: number;
  /** Room already promised to something else on the state dir's disk (volume snapshots). */
  readonly reservedBytes?: number;
  /** Told what could not be checked (the engine's data root is often not visible to an agent in a container). */
  readonly warn?: (line: string) => void;
}

/** Fails closed: a state dir that cannot be measured, or an engine that cannot say where its data lives, stops the install. */
export async function checkDisk(c: DiskCheck): Promise<void> {
  const need = c.incomingBytes + (c.reservedBytes ?? 0) + (64 << 20);
  const free = await freeBytes(c.stateDir);
  if (free instanceof Error) throw new SkiffError('PREFLIGHT_FAILED', `preflight disk: cannot measure the free space of ${c.stateDir} (${free.message}): check that the state directory exists and is readable`);
  if (free < need)
    throw new SkiffError('PREFLIGHT_FAILED', `preflight disk: ${c.stateDir} has ${mb(free)} free, the bundle${c.reservedBytes ? ' and the volume snapshots' : ''} need ${mb(need)}: free some space`);
  if (c.engineRoot instanceof Error)
    throw new SkiffError('PREFLIGHT_FAILED', `preflight disk: the Docker Engine did not say where it keeps images (${c.engineRoot.message}): check the engine with docker info`);
  // The engine stores layers uncompressed: their signed tar sizes, or else three times what the bundle brings.
  const engineNeed = c.engineBytes ?? c.incomingBytes * 3;
  const engineFree = await freeBytes(c.engineRoot);
  if (engineFree instanceof Error) {
    c.warn?.(`preflight disk: could not check the free space of the Docker data root ${c.engineRoot} (${engineFree.message}; an agent in a container does not see it): not checked`);
    return;
  }
  if (engineFree < engineNeed)
    throw new SkiffError('PREFLIGHT_FAILED', `preflight disk: the Docker data root ${c.engineRoot} has ${mb(engineFree)} free, the images need about ${mb(engineNeed)}: run docker image prune or free some space`);
}

/**
 * What the engine will store for `release`'s images: each layer's tar (the signed sizes.layerTars), a layer shared by
 * images counted once, a layer of the `installed` release's images (the engine holds it) not at all. Undefined when
 * an image names no tar sizes (a release made before they were recorded).
 */
export async function engineBytes(release: ReleaseManifest, installed: ReleaseManifest | undefined, manifestOf: (digest: Digest) => Promise<ImageManifest>): Promise<number | undefined> {
  const held = installed ? await releaseLayers(installed, manifestOf) : new Set<Digest>();
  const sizes = new Map<Digest, number>();
  for (const img of Object.values(release.images)) {
    const tars = img.sizes.layerTars;
    const { layers } = await manifestOf(img.manifestDigest);
    if (tars?.length !== layers.length) return undefined;
    layers.forEach((l, i) => held.has(l.digest) || sizes.set(l.digest, tars[i]!));
  }
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

/** The layer digests of `release`'s images. */
async function releaseLayers(release: ReleaseManifest, manifestOf: (digest: Digest) => Promise<ImageManifest>): Promise<Set<Digest>> {
  const out = new Set<Digest>();
  for (const img of Object.values(release.images)) for (const l of (await manifestOf(img.manifestDigest)).layers) out.add(l.digest);
  return out;
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: host || '0.0.0.0', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Every TCP host port the release binds is free, or held by the app's own containers (the release being replaced). */
export async function checkPorts(project: ComposeProject, current: ComposeProject | undefined): Promise<void> {
  const ours = new Set(current ? hostPorts(current).map((p) => p.hostPort) : []);
  for (const p of hostPorts(project)) {
    if (p.protocol !== 'tcp' || ours.has(p.hostPort)) continue;
    if (!(await canBind(p.hostIp, p.hostPort)))
      throw new SkiffError('PREFLIGHT_FAILED', `preflight ports: ${p.hostIp || '0.0.0.0'}:${p.hostPort}/tcp (service ${p.service}) is in use by another program: stop it or change the port`);
  }
}

function mb(n: number): string {
  return `${Math.ceil(n / 1e6)} MB`;
}
