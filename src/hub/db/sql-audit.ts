// Security bookkeeping in SQL: the audit log's append (the next entry chained to the last) and the login attempts' window.
import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, auditHash } from '../audit/chain.ts';
import type { SqlExec } from './driver.ts';
import type { AuditEntry, AuditInput, LoginAttempt, LoginCounts } from './types.ts';

/** Appends one entry on `tx`, which must hold the audit lock (LOCKS.audit) so no other writer picks the same id. */
export async function appendAuditEntry(tx: SqlExec, e: AuditInput, at: string): Promise<AuditEntry> {
  const [last] = await tx.all<{ id: number; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const entry = {
    id: last ? Number(last.id) + 1 : 1, at, actor: e.actor, action: e.action, target: e.target, address: e.address,
    details: e.details ?? {}, prevHash: last?.hash ?? GENESIS_HASH,
  };
  const full: AuditEntry = { ...entry, hash: auditHash(entry) };
  await tx.run(
    'INSERT INTO audit_log (id, at, actor, action, target, address, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [full.id, full.at, full.actor, full.action, full.target, full.address, JSON.stringify(full.details), full.prevHash, full.hash],
  );
  return full;
}

/** On `tx`, which must hold the login lock (LOCKS.login): forgets attempts older than the window, counts the rest, records this one if admitted. */
export async function admitLoginAttempt(
  tx: SqlExec, a: LoginAttempt, windowMs: number, admit: (recent: LoginCounts) => boolean,
): Promise<{ id?: string; recent: LoginCounts }> {
  const since = new Date(a.at.getTime() - windowMs).toISOString();
  await tx.run('DELETE FROM login_attempts WHERE at <= ?', [since]);
  const [c] = await tx.all<{ total: number | string; by_address: number | string | null; by_user: number | string | null }>(
    `SELECT COUNT(*) AS total, SUM(CASE WHEN address = ? THEN 1 ELSE 0 END) AS by_address,
       SUM(CASE WHEN address = ? AND username = ? THEN 1 ELSE 0 END) AS by_user
     FROM login_attempts WHERE at > ?`,
    [a.address, a.address, a.username, since],
  );
  const recent: LoginCounts = { total: Number(c?.total ?? 0), address: Number(c?.by_address ?? 0), user: Number(c?.by_user ?? 0) };
  if (!admit(recent)) return { recent };
  const id = randomUUID();
  await tx.run('INSERT INTO login_attempts (id, at, address, username) VALUES (?, ?, ?, ?)', [id, a.at.toISOString(), a.address, a.username]);
  return { id, recent };
}
