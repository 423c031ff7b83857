// Air-gap and support tables in portable SQL: per instance, the last imported report (its sequence number and digest,
// for replay and idempotence) and a pending support-bundle request; and the support bundles stored in the content store.
import { randomUUID } from 'node:crypto';
import type { SqlExec } from './driver.ts';
import type * as T from './types.ts';

export const AIRGAP_MIGRATION = {
  version: 19,
  name: 'air-gap reports and support bundles',
  statements: (): string[] => [
    `CREATE TABLE instance_airgap (instance_id TEXT PRIMARY KEY REFERENCES instances(id), report_seq INTEGER, report_digest TEXT,
      report_at TEXT, support_requested_at TEXT)`,
    `CREATE TABLE support_bundles (id TEXT PRIMARY KEY, instance_id TEXT NOT NULL REFERENCES instances(id), digest TEXT NOT NULL,
      size INTEGER NOT NULL, uploaded_by TEXT NOT NULL, created_at TEXT NOT NULL)`,
    'CREATE INDEX support_bundles_instance ON support_bundles (instance_id, created_at)',
  ],
};

interface AirgapRow { report_seq: number | string | null; report_digest: string | null; report_at: string | null; support_requested_at: string | null }

export async function getAirgapState(sql: SqlExec, instanceId: string): Promise<T.AirgapState> {
  const [r] = await sql.all<AirgapRow>('SELECT * FROM instance_airgap WHERE instance_id = ?', [instanceId]);
  return {
    lastReport: r?.report_seq != null && r.report_digest ? { seq: Number(r.report_seq), digest: r.report_digest, at: r.report_at ?? '' } : null,
    supportRequestedAt: r?.support_requested_at ?? null,
  };
}

async function ensureRow(sql: SqlExec, instanceId: string): Promise<void> {
  const [r] = await sql.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM instance_airgap WHERE instance_id = ?', [instanceId]);
  if (Number(r?.n ?? 0) === 0) await sql.run('INSERT INTO instance_airgap (instance_id) VALUES (?)', [instanceId]);
}

/** Records the report applied; only a later sequence number moves it (a racing import of the same one changes nothing). */
export async function recordReportImport(sql: SqlExec, instanceId: string, r: { seq: number; digest: string; createdAt: string }): Promise<boolean> {
  await ensureRow(sql, instanceId);
  const n = await sql.run('UPDATE instance_airgap SET report_seq = ?, report_digest = ?, report_at = ? WHERE instance_id = ? AND COALESCE(report_seq, 0) < ?', [
    r.seq,
    r.digest,
    r.createdAt,
    instanceId,
    r.seq,
  ]);
  if (n === 1) await sql.run('UPDATE instances SET last_seen_at = ? WHERE id = ?', [r.createdAt, instanceId]);
  return n === 1;
}

export async function setSupportRequest(sql: SqlExec, instanceId: string, at: string | null): Promise<void> {
  await ensureRow(sql, instanceId);
  await sql.run('UPDATE instance_airgap SET support_requested_at = ? WHERE instance_id = ?', [at, instanceId]);
}

interface BundleRow { id: string; instance_id: string; digest: string; size: number | string; uploaded_by: string; created_at: string }
const toBundle = (r: BundleRow): T.SupportBundleRecord => ({ id: r.id, instanceId: r.instance_id, digest: r.digest, size: Number(r.size), uploadedBy: r.uploaded_by, createdAt: r.created_at });

export async function addSupportBundle(sql: SqlExec, b: Omit<T.SupportBundleRecord, 'id' | 'createdAt'>, at: string): Promise<T.SupportBundleRecord> {
  const rec: T.SupportBundleRecord = { ...b, id: randomUUID(), createdAt: at };
  await sql.run('INSERT INTO support_bundles (id, instance_id, digest, size, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?)', [rec.id, rec.instanceId, rec.digest, rec.size, rec.uploadedBy, rec.createdAt]);
  return rec;
}

export async function listSupportBundles(sql: SqlExec, instanceId: string): Promise<T.SupportBundleRecord[]> {
  return (await sql.all<BundleRow>('SELECT * FROM support_bundles WHERE instance_id = ? ORDER BY created_at, id', [instanceId])).map(toBundle);
}
