// Each rollout group's counters (members, committed, failed with no retry left) kept on its row and moved in the same
// transaction as the member's state, so a scheduler tick reads O(groups) rows however large the fleet. Every writer of a
// member's state locks the member's group row first, then reads and changes the member: one lock order (group, then
// member) everywhere, so concurrent reports, retries and scheduler steps neither lose a count nor deadlock.
import type { Dialect, SqlExec } from './driver.ts';

export const ROLLOUT_COUNTS_MIGRATION = {
  version: 24,
  name: 'rollout-counts',
  statements: (d: Dialect): string[] => [
    'ALTER TABLE rollouts ADD COLUMN retries INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE rollout_groups ADD COLUMN size INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE rollout_groups ADD COLUMN committed INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE rollout_groups ADD COLUMN failed INTEGER NOT NULL DEFAULT 0',
    `UPDATE rollouts SET retries = COALESCE(${d === 'postgres' ? "(plan::json->>'retries')::integer" : "json_extract(plan, '$.retries')"}, 0)`,
    `UPDATE rollout_groups SET ${COUNTED.map(([column, where]) => `${column} = (${recountOf(where)})`).join(', ')}`,
  ],
};

/** Each counter and the members it counts (for the recount that backfills and checks them). */
const COUNTED = [
  ['size', 'TRUE'],
  ['committed', "ri.state = 'committed'"],
  ['failed', "ri.state = 'failed' AND ri.retries_used >= (SELECT r.retries FROM rollouts r WHERE r.id = ri.rollout_id)"],
] as const;

const recountOf = (where: string): string =>
  `SELECT COUNT(*) FROM rollout_instances ri WHERE ri.rollout_id = rollout_groups.rollout_id AND ri.grp = rollout_groups.grp AND ${where}`;

export interface GroupCounts {
  readonly group: number;
  readonly size: number;
  readonly committed: number;
  readonly failed: number;
}

/** The counters of each group as stored, and as a count of the members gives them (they must agree). */
export async function countsOf(sql: SqlExec, id: string): Promise<{ stored: GroupCounts[]; recounted: GroupCounts[] }> {
  const rows = await sql.all<Record<string, number | string>>(
    `SELECT grp, size, committed, failed, ${COUNTED.map(([column, where]) => `(${recountOf(where)}) AS re_${column}`).join(', ')}
     FROM rollout_groups WHERE rollout_id = ? ORDER BY grp`, [id]);
  const of = (r: Record<string, number | string>, prefix: string): GroupCounts =>
    ({ group: Number(r.grp), size: Number(r[`${prefix}size`]), committed: Number(r[`${prefix}committed`]), failed: Number(r[`${prefix}failed`]) });
  return { stored: rows.map((r) => of(r, '')), recounted: rows.map((r) => of(r, 're_')) };
}

/** Locks a group's row for the rest of the transaction (a no-op UPDATE: portable, and SQLite's writer is exclusive anyway). */
export async function lockGroup(w: SqlExec, id: string, group: number): Promise<void> {
  await w.run('UPDATE rollout_groups SET size = size WHERE rollout_id = ? AND grp = ?', [id, group]);
}

/** Moves a group's counters by these amounts. */
export async function addCounts(w: SqlExec, id: string, group: number, d: { size?: number; committed?: number; failed?: number }): Promise<void> {
  if (!d.size && !d.committed && !d.failed) return;
  await w.run('UPDATE rollout_groups SET size = size + ?, committed = committed + ?, failed = failed + ? WHERE rollout_id = ? AND grp = ?',
    [d.size ?? 0, d.committed ?? 0, d.failed ?? 0, id, group]);
}

interface MemberRow { rollout_id: string; grp: number; state: string; retries_used: number; failed_at: string | null; version: string; retries: number; started_at: string | null }

/**
 * An instance's report applied to its rollout memberships (the releases it runs or failed): running a rollout's release
 * commits it; a new failure of it (a time not seen before) fails it, in a started group only. The rows that would change
 * are found first without a lock (most reports change nothing); each is then re-read under its group's lock and changed
 * with its counters.
 */
export async function applyReport(sql: SqlExec, instanceId: string, app: string, currentVersion: string | null, failed: { version: string; at: string; reason: string } | null): Promise<void> {
  const failing = failed && failed.version !== currentVersion ? failed : null;
  if (currentVersion === null && failing === null) return;
  const select = `SELECT ri.rollout_id, ri.grp, ri.state, ri.retries_used, ri.failed_at, r.version, r.retries, g.started_at FROM rollout_instances ri
    JOIN rollouts r ON r.id = ri.rollout_id JOIN rollout_groups g ON g.rollout_id = ri.rollout_id AND g.grp = ri.grp
    WHERE ri.instance_id = ? AND r.app = ?`;
  const changes = (m: MemberRow): 'committed' | 'failed' | null => {
    if (m.version === currentVersion) return m.state === 'committed' ? null : 'committed';
    if (failing && m.version === failing.version && m.state === 'pending' && m.failed_at !== failing.at && m.started_at !== null) return 'failed';
    return null;
  };
  const versions = [currentVersion, failing?.version].filter((v): v is string => typeof v === 'string');
  const seen = await sql.all<MemberRow>(`${select} AND r.version IN (${versions.map(() => '?').join(', ')}) ORDER BY ri.rollout_id`, [instanceId, app, ...versions]);
  if (!seen.some((m) => changes(m) !== null)) return;
  await sql.transaction(async (tx) => {
    for (const s of seen) {
      await lockGroup(tx, s.rollout_id, Number(s.grp));
      const [m] = await tx.all<MemberRow>(`${select} AND ri.rollout_id = ?`, [instanceId, app, s.rollout_id]);
      const to = m && changes(m);
      if (!m || !to) continue;
      const final = Number(m.retries_used) >= Number(m.retries);
      if (to === 'committed') {
        await tx.run("UPDATE rollout_instances SET state = 'committed' WHERE rollout_id = ? AND instance_id = ?", [m.rollout_id, instanceId]);
        await addCounts(tx, m.rollout_id, Number(m.grp), { committed: 1, failed: m.state === 'failed' && final ? -1 : 0 });
      } else if (failing) {
        await tx.run("UPDATE rollout_instances SET state = 'failed', failed_at = ?, reason = ? WHERE rollout_id = ? AND instance_id = ?",
          [failing.at, failing.reason.slice(0, 500), m.rollout_id, instanceId]);
        await addCounts(tx, m.rollout_id, Number(m.grp), { failed: final ? 1 : 0 });
      }
    }
  });
}

/**
 * Failed members (all, or those given) back to pending, under every group's lock; `spend`: a retry of the policy (counted
 * on the member). One that had no retry left stops counting as failed. Returns the ids that were failed.
 */
export async function retryMembers(w: SqlExec, id: string, instanceIds: readonly string[] | 'all-failed', spend: boolean): Promise<string[]> {
  const groups = await w.all<{ grp: number }>('SELECT grp FROM rollout_groups WHERE rollout_id = ? ORDER BY grp', [id]);
  for (const g of groups) await lockGroup(w, id, Number(g.grp));
  const wanted = instanceIds === 'all-failed' ? null : new Set(instanceIds);
  // A few named ones (the scheduler retries one at a time) are looked up by id; many, by filtering the failed ones.
  const named = wanted !== null && wanted.size <= 100 ? [...wanted] : null;
  const failed = (await w.all<{ instance_id: string; grp: number; retries_used: number; retries: number }>(
    `SELECT ri.instance_id, ri.grp, ri.retries_used, r.retries FROM rollout_instances ri JOIN rollouts r ON r.id = ri.rollout_id
     WHERE ri.rollout_id = ? AND ri.state = 'failed'${named ? ` AND ri.instance_id IN (${named.map(() => '?').join(', ') || 'NULL'})` : ''} ORDER BY ri.instance_id`,
    [id, ...(named ?? [])])).filter((r) => wanted === null || wanted.has(r.instance_id));
  const unfailed = new Map<number, number>();
  for (const f of failed) {
    await w.run(`UPDATE rollout_instances SET state = 'pending'${spend ? ', retries_used = retries_used + 1' : ''} WHERE rollout_id = ? AND instance_id = ?`, [id, f.instance_id]);
    if (Number(f.retries_used) >= Number(f.retries)) unfailed.set(Number(f.grp), (unfailed.get(Number(f.grp)) ?? 0) + 1);
  }
  for (const [group, n] of unfailed) await addCounts(w, id, group, { failed: -n });
  return failed.map((f) => f.instance_id);
}
