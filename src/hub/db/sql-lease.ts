// Leases in the database (table hub_leases, made by the rollouts migration): a replica holds a named lease until its
// expiry and renews it before then; taking or renewing is one conditional UPDATE, so at most one replica holds it.
import type { SqlExec } from './driver.ts';

/** Takes the lease, or renews it when `holder` has it; false when another holder's lease has not expired. */
export async function acquireLease(sql: SqlExec, name: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
  const n = await sql.run('UPDATE hub_leases SET holder = ?, expires_at = ? WHERE name = ? AND (holder = ? OR expires_at <= ?)', [holder, nowMs + ttlMs, name, holder, nowMs]);
  return n === 1;
}

/** Whether `holder` holds the lease at `nowMs` (checked inside the transaction that acts on it). */
export async function holdsLease(sql: SqlExec, name: string, holder: string, nowMs: number): Promise<boolean> {
  const [r] = await sql.all<{ holder: string; expires_at: number | string }>('SELECT holder, expires_at FROM hub_leases WHERE name = ?', [name]);
  return r !== undefined && r.holder === holder && Number(r.expires_at) > nowMs;
}

/** Gives the lease up (a replica shutting down), so another takes it at once. */
export async function releaseLease(sql: SqlExec, name: string, holder: string): Promise<void> {
  await sql.run('UPDATE hub_leases SET expires_at = 0 WHERE name = ? AND holder = ?', [name, holder]);
}
