// The recent stdout/stderr of the containers the agent owns, through the Engine API, redacted and bounded: what air-gapped
// reports and support bundles carry of logs.
import type { DockerEngine } from '../../engine/index.ts';
import { Label } from '../../oci/index.ts';
import { LineRedactor } from '../../redact/index.ts';
import { ownedContainers } from '../deploy.ts';

export interface ContainerLog {
  readonly service: string;
  readonly container: string;
  readonly text: string;
}

export interface LogWindow {
  /** Only lines logged at or after this time. */
  readonly since?: Date;
  /** At most this many last lines per container. */
  readonly tail?: number;
  /** All containers' logs together stay under this (each container's newest lines are kept). */
  readonly maxBytes: number;
}

export async function ownedContainerLogs(engine: DockerEngine, app: string, window: LogWindow, secrets: readonly string[]): Promise<ContainerLog[]> {
  const containers = (await ownedContainers(engine, app)).sort((a, b) => (a.names[0] ?? a.id).localeCompare(b.names[0] ?? b.id));
  const share = Math.max(1024, Math.floor(window.maxBytes / Math.max(1, containers.length)));
  const out: ContainerLog[] = [];
  for (const c of containers) {
    const raw = await engine.containerLogs(c.id, {
      ...(window.tail !== undefined ? { tail: window.tail } : {}),
      ...(window.since ? { since: Math.floor(window.since.getTime() / 1000) } : {}),
    });
    out.push({ service: c.labels[Label.service] ?? '?', container: (c.names[0] ?? c.id).replace(/^\//, ''), text: newestWithin(new LineRedactor(secrets).text(raw), share) });
  }
  return out;
}

/** The newest whole lines of a text that fit in `bytes`. */
function newestWithin(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  const tail = Buffer.from(text).subarray(-bytes).toString('utf8');
  const nl = tail.indexOf('\n');
  return nl >= 0 ? tail.slice(nl + 1) : '';
}
