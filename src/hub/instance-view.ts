// How an instance appears in the API: what it runs, its health and last report, its policies; never a credential.
import { outageOf } from '../fleet/index.ts';
import type { FleetCount, InstanceRecord } from './db/types.ts';

export function instanceView(i: InstanceRecord, customer: string) {
  const report = i.report ?? {};
  return {
    id: i.id,
    name: i.name,
    customer,
    app: i.app,
    currentVersion: i.currentVersion,
    desiredVersion: typeof report.desiredVersion === 'string' ? report.desiredVersion : null,
    health: i.health,
    phase: typeof report.phase === 'string' ? report.phase : null,
    lastError: typeof report.lastError === 'string' ? report.lastError : null,
    services: Array.isArray(report.services) ? report.services : [],
    agentVersion: typeof report.agentVersion === 'string' ? report.agentVersion : null,
    diskFreeBytes: typeof report.diskFreeBytes === 'number' ? report.diskFreeBytes : null,
    /** The agent's latest metrics (container restarts, CPU, memory, disk free), as reported. */
    metrics: typeof report.metrics === 'object' && report.metrics !== null ? report.metrics : null,
    lastSeenAt: i.lastSeenAt,
    lastOutage: outageOf(report),
    createdAt: i.createdAt,
    revokedAt: i.revokedAt,
    facts: i.facts,
    pinnedVersion: i.pinnedVersion,
    windows: i.windows,
    installNow: i.installNow,
    blockedReason: i.blockedReason,
    tags: i.tags,
  };
}

/** The fleet at a glance, from its counts by app, version and health. */
export function fleetSummary(counts: readonly FleetCount[]) {
  const versions = new Map<string | null, number>();
  for (const c of counts) versions.set(c.version, (versions.get(c.version) ?? 0) + c.count);
  return {
    instances: counts.reduce((n, c) => n + c.count, 0),
    unhealthy: counts.filter((c) => c.health === 'unhealthy').reduce((n, c) => n + c.count, 0),
    versions: [...versions].map(([version, count]) => ({ version, count })).sort((a, b) => b.count - a.count),
  };
}
