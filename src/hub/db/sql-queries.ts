// The multi-table reads and writes of the SQL metadata store: customers with entitlements, channels, entitled releases.
import { SkiffError } from '../../util/index.ts';
import type { SqlExec } from './driver.ts';
import * as rows from './sql-rows.ts';
import type * as T from './types.ts';

interface CustomerRow { id: string; name: string; airgapped: number; created_at: string; recipient?: string | null }
interface EntitlementRow { customer_id: string; app: string; channel: string; expires_at: string | null }

const toCustomer = (r: CustomerRow, ents: readonly EntitlementRow[]): T.CustomerRecord => ({
  id: r.id, name: r.name, airgapped: Number(r.airgapped) === 1, createdAt: r.created_at,
  entitlements: ents.map((e) => ({ app: e.app, channel: e.channel, expiresAt: e.expires_at })),
  recipient: r.recipient ?? null,
});

/** One customer by id or by name, with its entitlements. */
export async function readCustomer(sql: SqlExec, value: string, by: 'id' | 'name' = 'id'): Promise<T.CustomerRecord | undefined> {
  const [r] = await sql.all<CustomerRow>(`SELECT * FROM customers WHERE ${by} = ?`, [value]);
  if (!r) return undefined;
  const ents = await sql.all<EntitlementRow>('SELECT customer_id, app, channel, expires_at FROM entitlements WHERE customer_id = ? ORDER BY app', [r.id]);
  return toCustomer(r, ents);
}

/** Every customer with its entitlements in two queries, however many customers there are. */
export async function listCustomerRecords(sql: SqlExec): Promise<T.CustomerRecord[]> {
  const customers = await sql.all<CustomerRow>('SELECT * FROM customers ORDER BY name');
  const byCustomer = new Map<string, EntitlementRow[]>();
  for (const e of await sql.all<EntitlementRow>('SELECT customer_id, app, channel, expires_at FROM entitlements ORDER BY app')) {
    const list = byCustomer.get(e.customer_id);
    if (list) list.push(e);
    else byCustomer.set(e.customer_id, [e]);
  }
  return customers.map((r) => toCustomer(r, byCustomer.get(r.id) ?? []));
}

/** Visible releases in the customer's unexpired entitled channels, optionally only one app@version. */
export async function entitledReleases(sql: SqlExec, customerId: string, at: Date, only?: { app: string; version: string }): Promise<T.ReleaseRecord[]> {
  const list = await sql.all<rows.ReleaseRow>(
    `SELECT r.* FROM releases r
       JOIN channel_releases cr ON cr.app = r.app AND cr.version = r.version
       JOIN entitlements e ON e.app = cr.app AND e.channel = cr.channel
     WHERE e.customer_id = ? AND r.visible = 1 AND (e.expires_at IS NULL OR e.expires_at > ?)
       AND (CAST(? AS TEXT) IS NULL OR (r.app = ? AND r.version = ?))`,
    [customerId, at.toISOString(), only?.app ?? null, only?.app ?? null, only?.version ?? null],
  );
  return list.map(rows.toRelease).sort((a, b) => a.app.localeCompare(b.app) || rows.bySemver(a, b));
}

export async function writeEntitlements(tx: SqlExec, customerId: string, entitlements: readonly T.Entitlement[]): Promise<void> {
  for (const e of entitlements) {
    if ((await tx.all('SELECT 1 AS x FROM apps WHERE name = ?', [e.app])).length === 0)
      throw new SkiffError('NOT_FOUND', `app "${e.app}" not found; create it before entitling a customer`);
    try {
      await tx.run('INSERT INTO entitlements (customer_id, app, channel, expires_at) VALUES (?, ?, ?, ?)',
        [customerId, e.app, e.channel, rows.isoDate(e.expiresAt, `expiry of ${e.app}`)]);
    } catch (err) {
      if (err instanceof SkiffError) throw err;
      throw new SkiffError('CONFLICT', `app "${e.app}" is entitled twice; give one channel per app`, { cause: err });
    }
  }
}

/** Puts a visible release into a channel (creating the channel), or updates its required flag when it is there already. */
export async function promoteRelease(tx: SqlExec, p: { app: string; channel: string; version: string; required: boolean }, at: string): Promise<void> {
  const [rel] = await tx.all<{ visible: number }>('SELECT visible FROM releases WHERE app = ? AND version = ?', [p.app, p.version]);
  if (!rel || Number(rel.visible) !== 1) throw new SkiffError('NOT_FOUND', `release ${p.app}@${p.version} not found; push it first`);
  if ((await tx.all('SELECT 1 AS x FROM channels WHERE app = ? AND name = ?', [p.app, p.channel])).length === 0)
    await tx.run('INSERT INTO channels (app, name, created_at) VALUES (?, ?, ?)', [p.app, p.channel, at]);
  const required = p.required ? 1 : 0;
  const n = await tx.run('UPDATE channel_releases SET required = ? WHERE app = ? AND channel = ? AND version = ?', [required, p.app, p.channel, p.version]);
  if (n === 0)
    await tx.run('INSERT INTO channel_releases (app, channel, version, required, promoted_at) VALUES (?, ?, ?, ?, ?)', [p.app, p.channel, p.version, required, at]);
}

export async function channelsOf(sql: SqlExec, app: string, only?: string): Promise<T.ChannelRecord[]> {
  const chans = await sql.all<{ name: string }>('SELECT name FROM channels WHERE app = ? AND (CAST(? AS TEXT) IS NULL OR name = ?) ORDER BY name', [app, only ?? null, only ?? null]);
  const entries = await sql.all<{ channel: string; version: string; required: number; promoted_at: string }>(
    'SELECT channel, version, required, promoted_at FROM channel_releases WHERE app = ?', [app]);
  return chans.map((c) => ({
    app,
    name: c.name,
    releases: entries
      .filter((e) => e.channel === c.name)
      .map((e) => ({ version: e.version, required: Number(e.required) === 1, promotedAt: e.promoted_at }))
      .sort(rows.bySemver),
  }));
}
