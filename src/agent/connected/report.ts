// The status report an instance sends after every change and on a heartbeat: what it runs, what it should run, the
// phase, each service's state and health, disk free, the agent version, the last error and recent history.
import { statfs } from 'node:fs/promises';
import type { Outage } from '../../fleet/index.ts';
import { HubClient } from '../../hub-client/index.ts';
import { AGENT_VERSION } from '../../release/index.ts';
import { agentStatus } from '../status.ts';
import { hubConnection, type Identity } from './identity.ts';
import { collectAgentMetrics, type AgentMetrics } from './metrics.ts';

export interface StatusReport {
  readonly currentVersion: string | null;
  readonly desiredVersion: string | null;
  readonly phase: string;
  readonly health: 'healthy' | 'unhealthy' | 'unknown';
  readonly services: readonly { service: string; state: string; health: string }[];
  readonly diskFreeBytes: number | null;
  readonly agentVersion: string;
  readonly lastError: string | null;
  readonly history: readonly { at: string; event: string; from?: string; to?: string; detail?: string }[];
  /** The last time the hub was out of reach, as this agent saw it. */
  readonly lastOutage?: Outage | null;
  /** The release whose install failed here (rolled back, not retried on its own), and why. */
  readonly failedRelease?: { readonly version: string; readonly at: string; readonly reason: string } | null;
  /** Container restarts, CPU and memory per service, disk free (the hub keeps the latest and a short history). */
  readonly metrics?: AgentMetrics;
}

/** Builds the report from the state dir and the engine; secrets never enter it (agentStatus redacts values, and they are not sent). */
export async function buildReport(stateDir: string, desiredVersion: string | null, phase: string, lastError: string | null): Promise<StatusReport> {
  const s = await agentStatus(stateDir);
  const services = s.services.map((x) => ({ service: x.service, state: x.state, health: x.health }));
  const bad = services.some((x) => x.state !== 'running' || x.health === 'unhealthy' || x.health === 'starting');
  const disk = await statfs(stateDir).catch(() => undefined);
  return {
    currentVersion: s.current?.version ?? null,
    desiredVersion,
    phase: s.operation ? s.operation.phase : phase,
    health: services.length === 0 ? 'unknown' : bad ? 'unhealthy' : 'healthy',
    services,
    diskFreeBytes: disk ? disk.bavail * disk.bsize : null,
    agentVersion: AGENT_VERSION,
    lastError,
    history: s.history.slice(-20),
    metrics: await collectAgentMetrics(stateDir, s.app),
  };
}

export async function sendReport(id: Identity, report: StatusReport, hubCa?: string): Promise<void> {
  await new HubClient(hubConnection(id, hubCa)).post('/instances/self/status', report);
}
