// What the hub takes from an instance's status report beyond its version and health: the agent's metrics (latest and a
// short history), its failed upgrade (kept for the alert rules, with a history entry for the delivery reports), and
// the upgrade outcome counters of /metrics.
import type { AgentMetrics, FailedRelease, InstanceRecord } from '../db/types.ts';
import type { HubDeps } from '../context.ts';

const COUNT = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const NULLABLE_COUNT = { anyOf: [COUNT, { type: 'null' }] } as const;

/** The `metrics` member of a status report. */
export const AGENT_METRICS = {
  anyOf: [
    {
      type: 'object',
      required: ['at', 'containers', 'diskFree'],
      additionalProperties: false,
      properties: {
        at: { type: 'string', format: 'date-time' },
        containers: {
          type: 'array',
          maxItems: 256,
          items: {
            type: 'object',
            required: ['service', 'restarts', 'cpuRatio', 'memoryBytes', 'memoryLimitBytes'],
            additionalProperties: false,
            properties: {
              service: { type: 'string', minLength: 1, maxLength: 128 },
              restarts: COUNT,
              cpuRatio: { anyOf: [{ type: 'number', minimum: 0, maximum: 100_000 }, { type: 'null' }] },
              memoryBytes: NULLABLE_COUNT,
              memoryLimitBytes: NULLABLE_COUNT,
            },
          },
        },
        diskFree: { type: 'object', required: ['stateDir', 'engineRoot'], additionalProperties: false, properties: { stateDir: NULLABLE_COUNT, engineRoot: NULLABLE_COUNT } },
      },
    },
    { type: 'null' },
  ],
} as const;

export interface ObservedReport {
  readonly currentVersion: string | null;
  readonly failedRelease?: FailedRelease | null;
  readonly metrics?: AgentMetrics | null;
}

const sameFailure = (a: unknown, b: FailedRelease): boolean =>
  typeof a === 'object' && a !== null && (a as FailedRelease).version === b.version && (a as FailedRelease).at === b.at;

/** Called by the status route after the report itself is recorded; `before` is the instance as it was. */
export async function observeReport(hub: HubDeps, before: InstanceRecord, report: ObservedReport): Promise<void> {
  const at = new Date().toISOString();
  const failed = report.failedRelease ?? null;
  await hub.db.observe.recordObservations(before.id, { at, failedRelease: failed, metrics: report.metrics ?? null });
  if (report.currentVersion !== null && report.currentVersion !== before.currentVersion)
    hub.metrics.upgrades.inc({ app: before.app, result: before.currentVersion === null ? 'installed' : 'succeeded' });
  if (failed && !sameFailure(before.report?.failedRelease, failed)) {
    hub.metrics.upgrades.inc({ app: before.app, result: 'failed' });
    await hub.db.addInstanceEvent(before.id, { at, kind: 'upgrade-failed', detail: { version: failed.version, reason: failed.reason, failedAt: failed.at, from: report.currentVersion } });
  }
}
