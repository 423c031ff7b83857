// The fleet's tables in portable SQL: instances with their credentials' owner, history and policies, enrollment tokens,
// per-site policies (pins and maintenance windows on the entitlement), and the apps' online keys (sealed).
import { randomUUID } from 'node:crypto';
import type { SqlExec } from './driver.ts';
import { searchWhere, searchWords } from './sql-fleet-search.ts';
import { tagsWhere } from './sql-tags.ts';
import * as rows from './sql-rows.ts';
import type * as T from './types.ts';

export const FLEET_MIGRATION = {
  version: 10,
  name: 'fleet',
  statements: (): string[] => [
    'ALTER TABLE tokens ADD COLUMN instance_id TEXT',
    'ALTER TABLE instances ADD COLUMN public_key TEXT',
    "ALTER TABLE instances ADD COLUMN facts TEXT NOT NULL DEFAULT '{}'",
    'ALTER TABLE instances ADD COLUMN revoked_at TEXT',
    'ALTER TABLE instances ADD COLUMN install_now INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE instances ADD COLUMN pinned_version TEXT',
    "ALTER TABLE instances ADD COLUMN windows TEXT NOT NULL DEFAULT '[]'",
    'ALTER TABLE instances ADD COLUMN report TEXT',
    'ALTER TABLE entitlements ADD COLUMN pinned_version TEXT',
    "ALTER TABLE entitlements ADD COLUMN windows TEXT NOT NULL DEFAULT '[]'",
    `CREATE TABLE enroll_tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, customer_id TEXT NOT NULL REFERENCES customers(id),
      app TEXT NOT NULL REFERENCES apps(name), uses_left INTEGER NOT NULL, expires_at TEXT NOT NULL, created_at TEXT NOT NULL)`,
    `CREATE TABLE instance_events (id TEXT PRIMARY KEY, instance_id TEXT NOT NULL REFERENCES instances(id), at TEXT NOT NULL,
      kind TEXT NOT NULL, detail TEXT NOT NULL)`,
    `CREATE TABLE app_keys (app TEXT NOT NULL REFERENCES apps(name), role TEXT NOT NULL, keyid TEXT NOT NULL, sealed TEXT NOT NULL,
      created_at TEXT NOT NULL, PRIMARY KEY (app, role))`,
    'CREATE INDEX instances_app ON instances (app, current_version)',
    'CREATE INDEX instance_events_instance ON instance_events (instance_id, at)',
    'CREATE INDEX tokens_instance ON tokens (instance_id)',
  ],
};

interface EnrollRow { id: string; customer_id: string; app: string; uses_left: number; expires_at: string; created_at: string }
const toEnroll = (r: EnrollRow): T.EnrollTokenRecord => ({
  id: r.id, customerId: r.customer_id, app: r.app, usesLeft: Number(r.uses_left), expiresAt: r.expires_at, createdAt: r.created_at,
});

export async function listFleet(sql: SqlExec, f: T.FleetFilter): Promise<T.InstanceRecord[]> {
  const tagged = tagsWhere('i', f.tags);
  const search = searchWhere(searchWords(f.search));
  const list = await sql.all<rows.InstanceRow>(
    `SELECT i.* FROM instances i JOIN customers c ON c.id = i.customer_id
     WHERE (CAST(? AS TEXT) IS NULL OR i.app = ?) AND (CAST(? AS TEXT) IS NULL OR i.current_version = ?)
       AND (CAST(? AS TEXT) IS NULL OR i.health = ?) AND (CAST(? AS TEXT) IS NULL OR i.customer_id = ?)
       AND (CAST(? AS TEXT) IS NULL OR i.last_seen_at IS NULL OR i.last_seen_at < ?) AND ${tagged.sql} AND ${search.sql}
     ORDER BY c.name, i.name LIMIT ? OFFSET ?`,
    [f.app ?? null, f.app ?? null, f.version ?? null, f.version ?? null, f.health ?? null, f.health ?? null,
      f.customerId ?? null, f.customerId ?? null, f.seenBefore ?? null, f.seenBefore ?? null, ...tagged.params, ...search.params, f.limit ?? 10_000, f.offset ?? 0],
  );
  return list.map(rows.toInstance);
}

export async function listInstanceEvents(sql: SqlExec, instanceId: string, limit: number): Promise<T.InstanceEvent[]> {
  const list = await sql.all<{ at: string; kind: string; detail: string }>(
    'SELECT at, kind, detail FROM instance_events WHERE instance_id = ? ORDER BY at DESC, id DESC LIMIT ?', [instanceId, limit]);
  return list.reverse().map((r) => ({ at: r.at, kind: r.kind, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

export async function addInstanceEvent(sql: SqlExec, instanceId: string, e: T.InstanceEvent): Promise<void> {
  await sql.run('INSERT INTO instance_events (id, instance_id, at, kind, detail) VALUES (?, ?, ?, ?, ?)', [randomUUID(), instanceId, e.at, e.kind, JSON.stringify(e.detail)]);
}

export async function getEnrollTokenByHash(sql: SqlExec, hash: string): Promise<T.EnrollTokenRecord | undefined> {
  const [r] = await sql.all<EnrollRow>('SELECT * FROM enroll_tokens WHERE hash = ?', [hash]);
  return r && toEnroll(r);
}

export async function createEnrollToken(sql: SqlExec, t: { hash: string; customerId: string; app: string; uses: number; expiresAt: string }, at: string): Promise<T.EnrollTokenRecord> {
  const rec: T.EnrollTokenRecord = { id: randomUUID(), customerId: t.customerId, app: t.app, usesLeft: t.uses, expiresAt: t.expiresAt, createdAt: at };
  await sql.run('INSERT INTO enroll_tokens (id, hash, customer_id, app, uses_left, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [rec.id, t.hash, rec.customerId, rec.app, rec.usesLeft, rec.expiresAt, rec.createdAt]);
  return rec;
}

/** One atomic decrement, so that two agents racing for the last use cannot both enroll. */
export async function consumeEnrollToken(sql: SqlExec, hash: string, now: Date): Promise<T.EnrollTokenRecord | undefined> {
  const n = await sql.run('UPDATE enroll_tokens SET uses_left = uses_left - 1 WHERE hash = ? AND uses_left > 0 AND expires_at > ?', [hash, now.toISOString()]);
  return n === 1 ? getEnrollTokenByHash(sql, hash) : undefined;
}

export async function getSitePolicy(sql: SqlExec, customerId: string, app: string): Promise<T.SitePolicy> {
  const [r] = await sql.all<{ pinned_version: string | null; windows: string }>('SELECT pinned_version, windows FROM entitlements WHERE customer_id = ? AND app = ?', [customerId, app]);
  return { pinnedVersion: r?.pinned_version ?? null, windows: r ? (JSON.parse(r.windows) as unknown[]) : [] };
}

export async function setSitePolicy(sql: SqlExec, customerId: string, app: string, p: Partial<T.SitePolicy>): Promise<boolean> {
  const cur = await getSitePolicy(sql, customerId, app);
  const n = await sql.run('UPDATE entitlements SET pinned_version = ?, windows = ? WHERE customer_id = ? AND app = ?',
    [p.pinnedVersion === undefined ? cur.pinnedVersion : p.pinnedVersion, JSON.stringify(p.windows ?? cur.windows), customerId, app]);
  return n === 1;
}

export async function setInstancePolicy(sql: SqlExec, id: string, p: { pinnedVersion?: string | null; windows?: readonly unknown[]; installNow?: boolean }): Promise<boolean> {
  const [r] = await sql.all<rows.InstanceRow>('SELECT * FROM instances WHERE id = ?', [id]);
  if (!r) return false;
  const cur = rows.toInstance(r);
  await sql.run('UPDATE instances SET pinned_version = ?, windows = ?, install_now = ? WHERE id = ?', [
    p.pinnedVersion === undefined ? cur.pinnedVersion : p.pinnedVersion,
    JSON.stringify(p.windows ?? cur.windows),
    (p.installNow ?? cur.installNow) ? 1 : 0,
    id,
  ]);
  return true;
}

export async function revokeInstance(sql: SqlExec, id: string, at: string): Promise<boolean> {
  const n = await sql.run('UPDATE instances SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]);
  if (n === 1) await sql.run('UPDATE tokens SET revoked_at = ? WHERE instance_id = ? AND revoked_at IS NULL', [at, id]);
  return n === 1;
}

export async function getAppKey(sql: SqlExec, app: string, role: string): Promise<{ keyid: string; sealed: string } | undefined> {
  const [r] = await sql.all<{ keyid: string; sealed: string }>('SELECT keyid, sealed FROM app_keys WHERE app = ? AND role = ?', [app, role]);
  return r && { keyid: r.keyid, sealed: r.sealed };
}

export async function putAppKey(sql: SqlExec, app: string, role: string, keyid: string, sealed: string, at: string): Promise<void> {
  const n = await sql.run('UPDATE app_keys SET keyid = ?, sealed = ?, created_at = ? WHERE app = ? AND role = ?', [keyid, sealed, at, app, role]);
  if (n === 0) await sql.run('INSERT INTO app_keys (app, role, keyid, sealed, created_at) VALUES (?, ?, ?, ?, ?)', [app, role, keyid, sealed, at]);
}
