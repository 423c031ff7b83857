// Checks made before anything changes: room for the new blobs and images, and the host ports the release binds.
import { statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostPorts, type ComposeProject } from '../compose/index.ts';
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
  // Layers are stored compressed by Skiff and uncompressed by the engine: allow for three times the size.
  const engineFree = await freeBytes(c.engineRoot);
  if (engineFree instanceof Error) {
    c.warn?.(`preflight disk: could not check the free space of the Docker data root ${c.engineRoot} (${engineFree.message}; an agent in a container does not see it): not checked`);
    return;
  }
  if (engineFree < c.incomingBytes * 3)
    throw new SkiffError('PREFLIGHT_FAILED', `preflight disk: the Docker data root ${c.engineRoot} has ${mb(engineFree)} free, the images need about ${mb(c.incomingBytes * 3)}: run docker image prune or free some space`);
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
