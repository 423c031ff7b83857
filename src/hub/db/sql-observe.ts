// What the hub observes of its fleet, in portable SQL: grouped fleet counts and per-instance signals for /metrics and the
// alert rules, each instance's latest agent metrics (and a short history), its failed upgrade, the alert state table,
// and the version and failure events the delivery reports are computed from.
import { randomUUID } from 'node:crypto';
import type { SqlExec } from './driver.ts';
import type * as T from './types.ts';

/** Agent metrics kept per instance besides the latest (one a report: an hour at the 5-minute heartbeat). */
export const METRICS_HISTORY = 12;

export const OBSERVE_MIGRATION = {
  version: 18,
  name: 'observability',
  statements: (): string[] => [
    'ALTER TABLE instances ADD COLUMN failed_release TEXT',
    'ALTER TABLE instances ADD COLUMN metrics TEXT',
    `CREATE TABLE instance_metrics (id TEXT PRIMARY KEY, instance_id TEXT NOT NULL REFERENCES instances(id), at TEXT NOT NULL, metrics TEXT NOT NULL)`,
    'CREATE INDEX instance_metrics_instance ON instance_metrics (instance_id, at)',
    `CREATE TABLE alerts (rule TEXT NOT NULL, instance_id TEXT NOT NULL REFERENCES instances(id), state TEXT NOT NULL, since TEXT NOT NULL,
      resolved_at TEXT, detail TEXT NOT NULL, PRIMARY KEY (rule, instance_id))`,
    'CREATE INDEX instance_events_kind ON instance_events (kind, at)',
  ],
};

interface SignalRow {
  id: string; name: string; customer: string; app: string; current_version: string | null; health: string | null;
  last_seen_at: string | null; created_at: string; failed_release: string | null; metrics: string | null;
}

interface AlertRow { rule: string; instance_id: string; state: string; since: string; resolved_at: string | null; detail: string; name: string; customer: string; app: string }

const json = <V>(text: string | null): V | null => (text ? (JSON.parse(text) as V) : null);

export function observeStore(sql: () => SqlExec): T.ObservabilityStore {
  return {
    async fleetCounts() {
      const list = await sql().all<{ app: string; version: string | null; health: string | null; n: number | string }>(
        `SELECT app, current_version AS version, health, COUNT(*) AS n FROM instances WHERE revoked_at IS NULL
         GROUP BY app, current_version, health`);
      // Sorted here: the two databases order NULLs differently.
      const key = (v: string | null): string => (v === null ? '\uffff' : v);
      return list
        .map((r) => ({ app: r.app, version: r.version, health: r.health, count: Number(r.n) }))
        .sort((a, b) => a.app.localeCompare(b.app) || key(a.version).localeCompare(key(b.version)) || key(a.health).localeCompare(key(b.health)));
    },

    async instanceSignals() {
      const list = await sql().all<SignalRow>(
        `SELECT i.id, i.name, c.name AS customer, i.app, i.current_version, i.health, i.last_seen_at, i.created_at, i.failed_release, i.metrics
         FROM instances i JOIN customers c ON c.id = i.customer_id WHERE i.revoked_at IS NULL ORDER BY c.name, i.name`);
      return list.map((r) => ({
        id: r.id, name: r.name, customer: r.customer, app: r.app, currentVersion: r.current_version, health: r.health, lastSeenAt: r.last_seen_at,
        createdAt: r.created_at, failedRelease: json<T.FailedRelease>(r.failed_release), metrics: json<T.AgentMetrics>(r.metrics),
      }));
    },

    async recordObservations(instanceId, o) {
      await sql().transaction(async (tx) => {
        await tx.run('UPDATE instances SET failed_release = ?, metrics = COALESCE(?, metrics) WHERE id = ?',
          [o.failedRelease ? JSON.stringify(o.failedRelease) : null, o.metrics ? JSON.stringify(o.metrics) : null, instanceId]);
        if (!o.metrics) return;
        await tx.run('INSERT INTO instance_metrics (id, instance_id, at, metrics) VALUES (?, ?, ?, ?)', [randomUUID(), instanceId, o.at, JSON.stringify(o.metrics)]);
        // Bounded per instance: the oldest beyond the history go in the same transaction.
        await tx.run(`DELETE FROM instance_metrics WHERE instance_id = ? AND id NOT IN
          (SELECT id FROM (SELECT id FROM instance_metrics WHERE instance_id = ? ORDER BY at DESC, id DESC LIMIT ${METRICS_HISTORY}) AS kept)`, [instanceId, instanceId]);
      });
    },

    async metricsHistory(instanceId) {
      const list = await sql().all<{ at: string; metrics: string }>('SELECT at, metrics FROM instance_metrics WHERE instance_id = ? ORDER BY at, id', [instanceId]);
      return list.map((r) => ({ at: r.at, metrics: JSON.parse(r.metrics) as T.AgentMetrics }));
    },

    async appEvents(app, kinds) {
      const marks = kinds.map(() => '?').join(', ');
      const list = await sql().all<{ instance_id: string; at: string; kind: string; detail: string }>(
        `SELECT e.instance_id, e.at, e.kind, e.detail FROM instance_events e JOIN instances i ON i.id = e.instance_id
         WHERE i.app = ? AND e.kind IN (${marks}) ORDER BY e.at, e.id`, [app, ...kinds]);
      return list.map((r) => ({ instanceId: r.instance_id, at: r.at, kind: r.kind, detail: JSON.parse(r.detail) as Record<string, unknown> }));
    },

    async listAlerts(f = {}) {
      const list = await sql().all<AlertRow>(
        `SELECT a.*, i.name, c.name AS customer, i.app FROM alerts a JOIN instances i ON i.id = a.instance_id JOIN customers c ON c.id = i.customer_id
         WHERE (CAST(? AS TEXT) IS NULL OR a.state = ?) AND (CAST(? AS TEXT) IS NULL OR i.customer_id = ?) ORDER BY a.since DESC, a.rule, i.name`,
        [f.state ?? null, f.state ?? null, f.customerId ?? null, f.customerId ?? null]);
      return list.map((r) => ({
        rule: r.rule, instanceId: r.instance_id, instance: r.name, customer: r.customer, app: r.app, state: r.state as T.AlertState,
        since: r.since, resolvedAt: r.resolved_at, detail: JSON.parse(r.detail) as Record<string, unknown>,
      }));
    },

    async fireAlert(rule, instanceId, at, detail) {
      const made = await sql().run(`INSERT INTO alerts (rule, instance_id, state, since, resolved_at, detail) VALUES (?, ?, 'firing', ?, NULL, ?)
        ON CONFLICT (rule, instance_id) DO NOTHING`, [rule, instanceId, at, JSON.stringify(detail)]);
      if (made === 1) return true;
      // Only the replica whose update finds it resolved records (and announces) the transition.
      const n = await sql().run(`UPDATE alerts SET state = 'firing', since = ?, resolved_at = NULL, detail = ? WHERE rule = ? AND instance_id = ? AND state = 'resolved'`,
        [at, JSON.stringify(detail), rule, instanceId]);
      return n === 1;
    },

    async resolveAlert(rule, instanceId, at) {
      const n = await sql().run(`UPDATE alerts SET state = 'resolved', resolved_at = ? WHERE rule = ? AND instance_id = ? AND state = 'firing'`, [at, rule, instanceId]);
      return n === 1;
    },
  };
}
