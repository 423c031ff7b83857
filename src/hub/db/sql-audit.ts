// The audit log's append in SQL: the next entry chained to the last one, written inside the caller's transaction.
import { GENESIS_HASH, auditHash } from '../audit/chain.ts';
import type { SqlExec } from './driver.ts';
import type { AuditEntry, AuditInput } from './types.ts';

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
