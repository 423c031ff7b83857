// Instance tags and per-instance upgrade approvals in portable SQL. Tags are stored on the instance as canonical JSON
// (keys sorted, lowercase keys and values without quotes), so `"k":"v"` occurs in it exactly when the instance has tag
// k=v: a LIKE on it filters on SQLite and PostgreSQL alike.
import { canonicalTags, type Tags } from '../../fleet/index.ts';
import type { SqlExec } from './driver.ts';

export const TAGS_MIGRATION = {
  version: 20,
  name: 'instance tags, instance approvals, rollout scheduler indexes',
  statements: (): string[] => [
    "ALTER TABLE instances ADD COLUMN tags TEXT NOT NULL DEFAULT '{}'",
    `CREATE TABLE instance_approvals (instance_id TEXT NOT NULL REFERENCES instances(id), version TEXT NOT NULL, approved_by TEXT NOT NULL,
      approved_at TEXT NOT NULL, PRIMARY KEY (instance_id, version))`,
    // The rollout scheduler's per-tick reads, so a tick does not scan the fleet: late enrollers by app and enrollment
    // time, failed instances of a rollout by state.
    'CREATE INDEX instances_app_created ON instances (app, created_at)',
    'CREATE INDEX rollout_instances_state ON rollout_instances (rollout_id, state, failed_at)',
  ],
};

/** A WHERE fragment (and its parameters) true when the instance aliased `alias` has every tag; `1 = 1` for none. */
export function tagsWhere(alias: string, tags: Tags | undefined): { sql: string; params: string[] } {
  const entries = Object.entries(tags ?? {});
  if (entries.length === 0) return { sql: '1 = 1', params: [] };
  return {
    sql: entries.map(() => `${alias}.tags LIKE ? ESCAPE '\\'`).join(' AND '),
    params: entries.map(([k, v]) => `%${JSON.stringify({ [k]: v }).slice(1, -1).replace(/_/g, '\\_')}%`),
  };
}

/** Replaces the instance's tags; false when there is no such instance. */
export async function setInstanceTags(sql: SqlExec, id: string, tags: Tags): Promise<boolean> {
  return (await sql.run('UPDATE instances SET tags = ? WHERE id = ?', [JSON.stringify(canonicalTags(tags)), id])) === 1;
}

export async function instanceApprovals(sql: SqlExec, instanceId: string): Promise<{ version: string; approvedBy: string; approvedAt: string }[]> {
  const rows = await sql.all<{ version: string; approved_by: string; approved_at: string }>(
    'SELECT version, approved_by, approved_at FROM instance_approvals WHERE instance_id = ? ORDER BY approved_at, version', [instanceId]);
  return rows.map((r) => ({ version: r.version, approvedBy: r.approved_by, approvedAt: r.approved_at }));
}

export async function approveInstance(sql: SqlExec, instanceId: string, version: string, by: string, at: string): Promise<void> {
  await sql.run('DELETE FROM instance_approvals WHERE instance_id = ? AND version = ?', [instanceId, version]);
  await sql.run('INSERT INTO instance_approvals (instance_id, version, approved_by, approved_at) VALUES (?, ?, ?, ?)', [instanceId, version, by, at]);
}
