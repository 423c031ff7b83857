// Vendor users and API tokens in the metadata store (customer users live in sql-customer-users.ts).
import { randomUUID } from 'node:crypto';
import type { SqlExec } from './driver.ts';
import * as rows from './sql-rows.ts';
import type * as T from './types.ts';

const now = (): string => new Date().toISOString();

/** Runs an insert, turning a unique violation into CONFLICT naming `what`. */
export type Unique = (fn: (tx: SqlExec) => Promise<unknown>, what: string) => Promise<unknown>;

export async function createUser(unique: Unique, u: { username: string; passwordHash: string; role: T.Role }): Promise<T.UserRecord> {
  const rec: T.UserRecord = { id: randomUUID(), username: u.username, passwordHash: u.passwordHash, role: u.role, createdAt: now() };
  await unique(
    (tx) => tx.run('INSERT INTO users (id, username, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)', [rec.id, rec.username, rec.passwordHash, rec.role, rec.createdAt]),
    `user "${u.username}"`,
  );
  return rec;
}

export async function getUserByName(sql: SqlExec, username: string): Promise<T.UserRecord | undefined> {
  const [r] = await sql.all<rows.UserRow>('SELECT * FROM users WHERE lower(username) = lower(?) AND customer_id IS NULL', [username]);
  return r && rows.toUser(r);
}

export async function getUser(sql: SqlExec, id: string): Promise<T.UserRecord | undefined> {
  const [r] = await sql.all<rows.UserRow>('SELECT * FROM users WHERE id = ? AND customer_id IS NULL', [id]);
  return r && rows.toUser(r);
}

export async function listUsers(sql: SqlExec): Promise<T.UserRecord[]> {
  return (await sql.all<rows.UserRow>('SELECT * FROM users WHERE customer_id IS NULL ORDER BY username')).map(rows.toUser);
}

export async function countUsers(sql: SqlExec): Promise<number> {
  const [r] = await sql.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM users WHERE customer_id IS NULL');
  return Number(r?.n ?? 0);
}

export async function createToken(write: SqlExec, t: Omit<T.TokenRecord, 'id' | 'createdAt' | 'revokedAt' | 'instanceId'> & { instanceId?: string }): Promise<T.TokenRecord> {
  const rec: T.TokenRecord = { ...t, instanceId: t.instanceId ?? null, id: randomUUID(), createdAt: now(), revokedAt: null };
  await write.run(
    'INSERT INTO tokens (id, kind, hash, name, user_id, customer_id, instance_id, scopes, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)',
    [rec.id, rec.kind, rec.hash, rec.name, rec.userId, rec.customerId, rec.instanceId, JSON.stringify(rec.scopes), rec.createdAt, rec.expiresAt],
  );
  return rec;
}

export async function getTokenByHash(sql: SqlExec, hash: string): Promise<T.TokenRecord | undefined> {
  const [r] = await sql.all<rows.TokenRow>('SELECT * FROM tokens WHERE hash = ?', [hash]);
  return r && rows.toToken(r);
}

export async function listTokens(sql: SqlExec, filter: { userId?: string; customerId?: string }): Promise<T.TokenRecord[]> {
  const list = await sql.all<rows.TokenRow>(
    'SELECT * FROM tokens WHERE (CAST(? AS TEXT) IS NULL OR user_id = ?) AND (CAST(? AS TEXT) IS NULL OR customer_id = ?) ORDER BY created_at, id',
    [filter.userId ?? null, filter.userId ?? null, filter.customerId ?? null, filter.customerId ?? null],
  );
  return list.map(rows.toToken);
}

export async function revokeToken(write: SqlExec, id: string): Promise<boolean> {
  return (await write.run('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now(), id])) === 1;
}
