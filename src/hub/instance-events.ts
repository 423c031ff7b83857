// The history an instance's report adds (a new version, a new error, a health change): one rule for the connected
// status report and the imported air-gapped report.
import type { InstanceRecord, MetadataDb } from './db/types.ts';

export async function addReportEvents(db: MetadataDb, instanceId: string, before: InstanceRecord | undefined, report: { currentVersion: string | null; health: string; lastError?: string | null }, at: string): Promise<void> {
  if (before?.currentVersion !== report.currentVersion)
    await db.addInstanceEvent(instanceId, { at, kind: 'version', detail: { from: before?.currentVersion ?? null, to: report.currentVersion } });
  const lastError = report.lastError ?? null;
  if (lastError !== null && lastError !== (before?.report?.lastError ?? null)) await db.addInstanceEvent(instanceId, { at, kind: 'error', detail: { message: lastError } });
  if (before?.health !== report.health) await db.addInstanceEvent(instanceId, { at, kind: 'health', detail: { from: before?.health ?? null, to: report.health } });
}
