// Rollouts in portable SQL: the rollout (release, target, plan, state), its groups (when each started and met its
// success threshold, whether its gate was passed), each instance's group and outcome, and the scheduler's lease.
// Group starts and state changes are conditional UPDATEs, so a step applied twice (two replicas) changes nothing twice.
import type { GroupProgress, RetryCandidate, RolloutPlan, RolloutState, RolloutView } from '../../fleet/index.ts';
import type { SqlExec } from './driver.ts';
import { matchesTags, parseWindows, type MaintenanceWindow, type Tags } from '../../fleet/index.ts';
import { tagsWhere } from './sql-tags.ts';
import { acquireLease, holdsLease, releaseLease } from './sql-lease.ts';
import { addCounts, applyReport, countsOf, retryMembers, type GroupCounts } from './sql-rollout-counts.ts';

/** The lease of the one replica that runs the rollout scheduler. */
const SCHEDULER_LEASE = 'rollout-scheduler';

export const ROLLOUTS_MIGRATION = {
  version: 15,
  name: 'rollouts',
  statements: (): string[] => [
    `CREATE TABLE rollouts (id TEXT PRIMARY KEY, app TEXT NOT NULL REFERENCES apps(name), version TEXT NOT NULL, digest TEXT NOT NULL,
      target TEXT NOT NULL, plan TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, created_by TEXT NOT NULL, created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL)`,
    `CREATE TABLE rollout_groups (rollout_id TEXT NOT NULL REFERENCES rollouts(id), grp INTEGER NOT NULL, started_at TEXT,
      succeeded_at TEXT, approved INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (rollout_id, grp))`,
    `CREATE TABLE rollout_instances (rollout_id TEXT NOT NULL REFERENCES rollouts(id), instance_id TEXT NOT NULL REFERENCES instances(id),
      grp INTEGER NOT NULL, state TEXT NOT NULL, retries_used INTEGER NOT NULL DEFAULT 0, failed_at TEXT, reason TEXT,
      PRIMARY KEY (rollout_id, instance_id))`,
    'CREATE INDEX rollouts_app ON rollouts (app, created_at)',
    'CREATE INDEX rollout_instances_instance ON rollout_instances (instance_id)',
    'CREATE INDEX rollout_instances_group ON rollout_instances (rollout_id, grp, state)',
    'CREATE TABLE hub_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)',
    "INSERT INTO hub_leases (name, holder, expires_at) VALUES ('rollout-scheduler', '', 0)",
  ],
};

/** Which instances a rollout reaches: those of its app whose channel holds the release, narrowed by these. */
export interface RolloutTarget {
  readonly channel: string | null;
  /** Customer ids; empty: every entitled customer. */
  readonly customers: readonly string[];
  /** Only instances with every one of these tags (absent in rollouts made before tags). */
  readonly tags?: Tags;
}

export interface RolloutRecord {
  readonly id: string;
  readonly app: string;
  readonly version: string;
  readonly digest: string;
  readonly target: RolloutTarget;
  readonly plan: RolloutPlan;
  readonly state: RolloutState;
  /** Why it is paused (or was cancelled). */
  readonly reason: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type InstanceOutcome = 'pending' | 'committed' | 'failed';

export interface RolloutMember {
  readonly instanceId: string;
  readonly group: number;
  readonly state: InstanceOutcome;
}

interface RolloutRow { id: string; app: string; version: string; digest: string; target: string; plan: string; state: string; reason: string | null; created_by: string; created_at: string; updated_at: string }
const toRollout = (r: RolloutRow): RolloutRecord => ({
  id: r.id, app: r.app, version: r.version, digest: r.digest, target: JSON.parse(r.target) as RolloutTarget, plan: JSON.parse(r.plan) as RolloutPlan,
  state: r.state as RolloutState, reason: r.reason, createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at,
});

const ROWS_PER_INSERT = 400;

/** Stored maintenance windows (checked when set); none when unreadable, as the desired state reads them. */
function storedWindows(json: string | null): MaintenanceWindow[] {
  try {
    return parseWindows(JSON.parse(json ?? '[]') as unknown, 'windows');
  } catch {
    return [];
  }
}

/** Rollout storage; reads run on the current transaction or the driver, writes only inside mutate() (audited). */
export class SqlRollouts {
  readonly #sql: () => SqlExec;
  readonly #write: () => SqlExec;

  constructor(sql: () => SqlExec, write: () => SqlExec) {
    this.#sql = sql;
    this.#write = write;
  }

  async get(id: string): Promise<RolloutRecord | undefined> {
    const [r] = await this.#sql().all<RolloutRow>('SELECT * FROM rollouts WHERE id = ?', [id]);
    return r && toRollout(r);
  }

  /** Newest first. */
  async list(f: { app?: string; states?: readonly RolloutState[]; limit?: number } = {}): Promise<RolloutRecord[]> {
    const states = f.states ?? [];
    const rows = await this.#sql().all<RolloutRow>(
      `SELECT * FROM rollouts WHERE (CAST(? AS TEXT) IS NULL OR app = ?)${states.length ? ` AND state IN (${states.map(() => '?').join(', ')})` : ''}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
      [f.app ?? null, f.app ?? null, ...states, f.limit ?? 100],
    );
    return rows.map(toRollout);
  }

  /**
   * Each group's size and outcomes from the counters on its row (O(groups), however large the fleet); `failed` counts only
   * instances with no retry left under the rollout's own retries (`_retries`, the plan's, is what the counters use).
   */
  async progress(id: string, _retries?: number): Promise<GroupProgress[]> {
    const groups = await this.#sql().all<{ grp: number; started_at: string | null; succeeded_at: string | null; approved: number; size: number; committed: number; failed: number }>(
      'SELECT grp, started_at, succeeded_at, approved, size, committed, failed FROM rollout_groups WHERE rollout_id = ? ORDER BY grp', [id]);
    return groups.map((g) => ({
      group: Number(g.grp), size: Number(g.size), committed: Number(g.committed), failed: Number(g.failed),
      startedAt: g.started_at, succeededAt: g.succeeded_at, approved: Number(g.approved) === 1,
    }));
  }

  /** The stored counters of each group beside a recount of its members (they must agree; tests check it). */
  counts(id: string): Promise<{ stored: GroupCounts[]; recounted: GroupCounts[] }> {
    return countsOf(this.#sql(), id);
  }

  /** Failed instances with a retry left (at most `limit`, oldest failure first), with their site's maintenance windows. */
  async retryCandidates(id: string, retries: number, limit = 1000): Promise<RetryCandidate[]> {
    const rows = await this.#sql().all<{ instance_id: string; retries_used: number; failed_at: string; own: string; site: string | null }>(
      `SELECT ri.instance_id, ri.retries_used, ri.failed_at, i.windows AS own, e.windows AS site FROM rollout_instances ri
       JOIN instances i ON i.id = ri.instance_id LEFT JOIN entitlements e ON e.customer_id = i.customer_id AND e.app = i.app
       WHERE ri.rollout_id = ? AND ri.state = 'failed' AND ri.retries_used < ? ORDER BY ri.failed_at LIMIT ?`, [id, retries, limit]);
    return rows.map((r) => {
      const own = storedWindows(r.own);
      return { instanceId: r.instance_id, retriesUsed: Number(r.retries_used), failedAt: r.failed_at, windows: own.length > 0 ? own : storedWindows(r.site) };
    });
  }

  async members(id: string, f: { state?: InstanceOutcome; limit?: number } = {}): Promise<RolloutMember[]> {
    const rows = await this.#sql().all<{ instance_id: string; grp: number; state: string }>(
      'SELECT instance_id, grp, state FROM rollout_instances WHERE rollout_id = ? AND (CAST(? AS TEXT) IS NULL OR state = ?) ORDER BY grp, instance_id LIMIT ?',
      [id, f.state ?? null, f.state ?? null, f.limit ?? 100_000]);
    return rows.map((r) => ({ instanceId: r.instance_id, group: Number(r.grp), state: r.state as InstanceOutcome }));
  }

  /**
   * The newest rollout of the app and this instance's place in it, as the desired state needs it: in a started group
   * it is told the release; in a waiting group (or not yet placed, while the rollout runs or is paused) it is held;
   * a finished rollout, or a cancelled one that never placed it, changes nothing.
   */
  async viewFor(instanceId: string, app: string, customerId: string): Promise<RolloutView | null> {
    const [r] = await this.#sql().all<{ version: string; digest: string; state: string; target: string; grp: number | null; started_at: string | null; tags: string | null }>(
      `SELECT r.version, r.digest, r.state, r.target, ri.grp, g.started_at, (SELECT i.tags FROM instances i WHERE i.id = ?) AS tags FROM rollouts r
       LEFT JOIN rollout_instances ri ON ri.rollout_id = r.id AND ri.instance_id = ?
       LEFT JOIN rollout_groups g ON g.rollout_id = r.id AND g.grp = ri.grp
       WHERE r.app = ? ORDER BY r.created_at DESC, r.id DESC LIMIT 1`, [instanceId, instanceId, app]);
    if (!r || r.state === 'finished') return null;
    const release = { version: r.version, digest: r.digest, required: false };
    if (r.grp !== null) return { release, started: r.started_at !== null };
    const target = JSON.parse(r.target) as RolloutTarget;
    const reaches = (target.customers.length === 0 || target.customers.includes(customerId)) && matchesTags(JSON.parse(r.tags ?? '{}') as Tags, target.tags ?? {});
    return r.state !== 'cancelled' && reaches ? { release, started: false } : null;
  }

  /** Instances of the app enrolled at or after `since`, with the target's tags, that the rollout has not placed yet (late enrollers). */
  async unplaced(r: Pick<RolloutRecord, 'id' | 'app' | 'target'>, since: string, limit = 10_000): Promise<{ id: string; customerId: string; currentVersion: string | null }[]> {
    const tagged = tagsWhere('i', r.target.tags);
    const rows = await this.#sql().all<{ id: string; customer_id: string; current_version: string | null }>(
      `SELECT i.id, i.customer_id, i.current_version FROM instances i WHERE i.app = ? AND i.revoked_at IS NULL AND i.created_at >= ? AND ${tagged.sql}
       AND NOT EXISTS (SELECT 1 FROM rollout_instances ri WHERE ri.rollout_id = ? AND ri.instance_id = i.id) ORDER BY i.created_at LIMIT ?`, [r.app, since, ...tagged.params, r.id, limit]);
    return rows.map((x) => ({ id: x.id, customerId: x.customer_id, currentVersion: x.current_version }));
  }

  async create(r: Omit<RolloutRecord, 'updatedAt'>, groupCount: number, members: readonly RolloutMember[]): Promise<void> {
    const w = this.#write();
    await w.run('INSERT INTO rollouts (id, app, version, digest, target, plan, state, reason, created_by, created_at, updated_at, retries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      r.id, r.app, r.version, r.digest, JSON.stringify(r.target), JSON.stringify(r.plan), r.state, r.reason, r.createdBy, r.createdAt, r.createdAt, r.plan.retries]);
    for (let g = 1; g <= groupCount; g++) await w.run('INSERT INTO rollout_groups (rollout_id, grp) VALUES (?, ?)', [r.id, g]);
    await this.place(r.id, members);
  }

  /** Adds instances to groups (creation, late enrollers), counting them on their groups first (the lock order). */
  async place(id: string, members: readonly RolloutMember[]): Promise<void> {
    const w = this.#write();
    const added = new Map<number, { size: number; committed: number }>();
    for (const m of members) {
      const a = added.get(m.group) ?? { size: 0, committed: 0 };
      added.set(m.group, { size: a.size + 1, committed: a.committed + (m.state === 'committed' ? 1 : 0) });
    }
    for (const [group, a] of [...added].sort(([x], [y]) => x - y)) await addCounts(w, id, group, a);
    for (let at = 0; at < members.length; at += ROWS_PER_INSERT) {
      const part = members.slice(at, at + ROWS_PER_INSERT);
      await w.run(`INSERT INTO rollout_instances (rollout_id, instance_id, grp, state) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}`, part.flatMap((m) => [id, m.instanceId, m.group, m.state]));
    }
  }

  /** Moves the rollout to `state` when it is in one of `from`; false when it was not (nothing changed). */
  async transition(id: string, from: readonly RolloutState[], state: RolloutState, reason: string | null, at: string): Promise<boolean> {
    const n = await this.#write().run(`UPDATE rollouts SET state = ?, reason = ?, updated_at = ? WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`, [state, reason, at, id, ...from]);
    return n === 1;
  }

  /** Starts a group once: false when it had started already. */
  async startGroup(id: string, group: number, at: string): Promise<boolean> {
    return (await this.#write().run('UPDATE rollout_groups SET started_at = ? WHERE rollout_id = ? AND grp = ? AND started_at IS NULL', [at, id, group])) === 1;
  }

  async groupSucceeded(id: string, group: number, at: string): Promise<boolean> {
    return (await this.#write().run('UPDATE rollout_groups SET succeeded_at = ? WHERE rollout_id = ? AND grp = ? AND succeeded_at IS NULL', [at, id, group])) === 1;
  }

  /** A person resumed the rollout: the gates of every group that met its threshold are passed. */
  async approveGates(id: string): Promise<void> {
    await this.#write().run('UPDATE rollout_groups SET approved = 1 WHERE rollout_id = ? AND succeeded_at IS NOT NULL', [id]);
  }

  /** Failed instances (all, or those given) are tried again; returns those that were failed. `spend`: a retry of the policy. */
  retry(id: string, instanceIds: readonly string[] | 'all-failed', spend: boolean): Promise<string[]> {
    return retryMembers(this.#write(), id, instanceIds, spend);
  }

  /**
   * An instance's report, as the rollouts see it (its own account: bookkeeping, no audit entry, no generation move,
   * as nothing it is told depends on it): running the release commits it; a new failure of the release (a
   * failedRelease with a time not seen before) fails it, in a started group only; its group's counters move with it.
   */
  noteReport(instanceId: string, app: string, currentVersion: string | null, failed: { version: string; at: string; reason: string } | null): Promise<void> {
    return applyReport(this.#sql(), instanceId, app, currentVersion, failed);
  }

  /** Takes or renews the scheduler's lease (one conditional UPDATE); false while another replica holds it. */
  acquireLease(holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
    return acquireLease(this.#sql(), SCHEDULER_LEASE, holder, nowMs, ttlMs);
  }

  holdsLease(holder: string, nowMs: number): Promise<boolean> {
    return holdsLease(this.#sql(), SCHEDULER_LEASE, holder, nowMs);
  }

  releaseLease(holder: string): Promise<void> {
    return releaseLease(this.#sql(), SCHEDULER_LEASE, holder);
  }
}
