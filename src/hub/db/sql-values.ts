// Per-site values in portable SQL: one row per setting, per customer and app (instance_id '') or per instance (an
// override). A secret's value is stored sealed (the caller seals it); the table never holds a secret in the clear.
import type { SqlExec } from './driver.ts';
import type * as T from './types.ts';

export const VALUES_MIGRATION = {
  version: 11,
  name: 'values',
  statements: (): string[] => [
    `CREATE TABLE site_values (customer_id TEXT NOT NULL REFERENCES customers(id), app TEXT NOT NULL REFERENCES apps(name),
      instance_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, secret INTEGER NOT NULL, updated_at TEXT NOT NULL,
      PRIMARY KEY (customer_id, app, instance_id, name))`,
    'ALTER TABLE instances ADD COLUMN blocked_reason TEXT',
  ],
};

/** The customer-level rows have no instance: '' in the key column (a primary key column cannot be NULL). */
const CUSTOMER_LEVEL = '';

interface ValueRow {
  customer_id: string;
  app: string;
  instance_id: string;
  name: string;
  value: string;
  secret: number;
  updated_at: string;
}
const toValue = (r: ValueRow): T.SiteValueRecord => ({
  customerId: r.customer_id,
  app: r.app,
  instanceId: r.instance_id === CUSTOMER_LEVEL ? null : r.instance_id,
  name: r.name,
  value: r.value,
  secret: Number(r.secret) === 1,
  updatedAt: r.updated_at,
});

export async function listSiteValues(
  sql: SqlExec,
  customerId: string,
  app: string,
  instanceId?: string,
): Promise<T.SiteValueRecord[]> {
  const list = await sql.all<ValueRow>(
    `SELECT * FROM site_values WHERE customer_id = ? AND app = ? AND (CAST(? AS TEXT) IS NULL OR instance_id = '' OR instance_id = ?)
     ORDER BY instance_id, name`,
    [customerId, app, instanceId ?? null, instanceId ?? null],
  );
  return list.map(toValue);
}

export async function setSiteValues(
  sql: SqlExec,
  scope: T.ValuesScope,
  values: readonly T.SiteValueInput[],
  at: string,
): Promise<void> {
  const instance = scope.instanceId ?? CUSTOMER_LEVEL;
  for (const v of values) {
    const n = await sql.run(
      'UPDATE site_values SET value = ?, secret = ?, updated_at = ? WHERE customer_id = ? AND app = ? AND instance_id = ? AND name = ?',
      [v.value, v.secret ? 1 : 0, at, scope.customerId, scope.app, instance, v.name],
    );
    if (n === 0)
      await sql.run(
        'INSERT INTO site_values (customer_id, app, instance_id, name, value, secret, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [scope.customerId, scope.app, instance, v.name, v.value, v.secret ? 1 : 0, at],
      );
  }
}

export async function unsetSiteValues(
  sql: SqlExec,
  scope: T.ValuesScope,
  names: readonly string[],
): Promise<number> {
  let removed = 0;
  for (const name of names)
    removed += await sql.run(
      'DELETE FROM site_values WHERE customer_id = ? AND app = ? AND instance_id = ? AND name = ?',
      [scope.customerId, scope.app, scope.instanceId ?? CUSTOMER_LEVEL, name],
    );
  return removed;
}

export async function setInstanceBlocked(sql: SqlExec, id: string, reason: string | null): Promise<boolean> {
  return (await sql.run('UPDATE instances SET blocked_reason = ? WHERE id = ?', [reason, id])) === 1;
}
