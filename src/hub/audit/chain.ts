// The audit log's hash chain: each entry's hash covers its canonical JSON and the previous entry's hash.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEntry } from '../db/types.ts';

export const GENESIS_HASH = '0'.repeat(64);

export function auditHash(e: Omit<AuditEntry, 'hash'>): string {
  const body = canonicalize({
    id: e.id,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target,
    address: e.address,
    details: e.details,
    prevHash: e.prevHash,
  });
  if (body === undefined) throw new Error('audit entry is not serializable');
  return createHash('sha256').update(body).digest('hex');
}

export type AuditVerdict =
  | { readonly ok: true; readonly entries: number }
  | { readonly ok: false; readonly entries: number; readonly firstBadId: number; readonly reason: string };

/** Walks entries in id order; names the first entry that was edited, or that follows a deleted one. */
export function verifyAuditChain(entries: Iterable<AuditEntry>): AuditVerdict {
  let prev = GENESIS_HASH;
  let expectedId = 1;
  let count = 0;
  for (const e of entries) {
    count++;
    if (e.id !== expectedId)
      return { ok: false, entries: count, firstBadId: e.id, reason: `entry ${e.id} follows entry ${expectedId - 1}: entries were deleted` };
    if (e.prevHash !== prev)
      return { ok: false, entries: count, firstBadId: e.id, reason: `entry ${e.id} does not chain to the entry before it` };
    if (auditHash(e) !== e.hash) return { ok: false, entries: count, firstBadId: e.id, reason: `entry ${e.id} was edited` };
    prev = e.hash;
    expectedId++;
  }
  return { ok: true, entries: count };
}
