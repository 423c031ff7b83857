// The agent's metrics for its status report: per service its container's restarts, CPU and memory (Docker's stats,
// sampled in parallel), and disk free under the state dir and the engine's data root. An engine that does not answer
// leaves the containers out; the report still goes.
import { statfs } from 'node:fs/promises';
import { DockerEngine, type ContainerStats } from '../../engine/index.ts';
import { Label } from '../../oci/index.ts';
import { ownedContainers } from '../deploy.ts';

export interface AgentMetrics {
  readonly at: string;
  readonly containers: readonly { service: string; restarts: number; cpuRatio: number | null; memoryBytes: number | null; memoryLimitBytes: number | null }[];
  readonly diskFree: { readonly stateDir: number | null; readonly engineRoot: number | null };
}

const NO_STATS: ContainerStats = { cpuRatio: null, memoryBytes: null, memoryLimitBytes: null };

async function diskFree(path: string | undefined): Promise<number | null> {
  if (path === undefined) return null;
  const s = await statfs(path).catch(() => undefined);
  return s ? s.bavail * s.bsize : null;
}

export async function collectAgentMetrics(stateDir: string, app: string | undefined): Promise<AgentMetrics> {
  const at = new Date().toISOString();
  let engine: DockerEngine | undefined;
  try {
    engine = await DockerEngine.connect();
    const e = engine;
    const [info, owned] = await Promise.all([e.info(), app === undefined ? [] : ownedContainers(e, app)]);
    const services = owned.filter((c) => c.labels[Label.hook] === undefined && c.labels[Label.service] !== undefined);
    const containers = await Promise.all(services.map(async (c) => {
      const [inspect, stats] = await Promise.all([e.containerInspect(c.id), c.state === 'running' ? e.containerStats(c.id).catch(() => NO_STATS) : NO_STATS]);
      return { service: c.labels[Label.service] ?? '?', restarts: inspect?.restartCount ?? 0, ...stats };
    }));
    return { at, containers: containers.sort((a, b) => a.service.localeCompare(b.service)), diskFree: { stateDir: await diskFree(stateDir), engineRoot: await diskFree(info.dockerRootDir) } };
  } catch {
    return { at, containers: [], diskFree: { stateDir: await diskFree(stateDir), engineRoot: null } };
  } finally {
    await engine?.close();
  }
}
