// Checks made before anything changes: room for the new blobs and images, and the host ports the release binds.
import { statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostPorts, type ComposeProject } from '../compose/index.ts';
import { SkiffError } from '../util/index.ts';

async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const s = await statfs(path);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

export async function checkDisk(stateDir: string, engineRoot: string | undefined, incomingBytes: number): Promise<void> {
  const need = incomingBytes + (64 << 20);
  const free = await freeBytes(stateDir);
  if (free !== undefined && free < need)
    throw new SkiffError('PREFLIGHT_FAILED', `preflight disk: ${stateDir} has ${mb(free)} free, the bundle needs ${mb(need)}: free some space`);
  // Layers are stored compressed by Skiff and uncompressed by the engine: allow for three times the size.
  const engineFree = engineRoot ? await freeBytes(engineRoot) : undefined;
  if (engineFree !== undefined && engineFree < incomingBytes * 3)
    throw new SkiffError('PREFLIGHT_FAILED', `preflight disk: the Docker data root ${engineRoot} has ${mb(engineFree)} free, the images need about ${mb(incomingBytes * 3)}: run docker image prune or free some space`);
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
