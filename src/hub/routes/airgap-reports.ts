// Air-gapped reports: `skiff hub import-report` (or the portal's upload) hands the hub a signed .skiffr file; the hub
// applies it to the instance's record (version, health, history, last seen) only when it is that instance's own,
// unaltered and later in sequence than the last imported. Reports skipped over (lost on the way) become a `report-gap`
// event the vendor sees; the site's re-export (`--since N`) fills it, its history entries already known not added twice.
// The same report twice changes nothing (no second audit entry).
import type { FastifyInstance } from 'fastify';
import { MAX_REPORT_BYTES, checkReport, claimedInstance, gapMessage, reportEnvelopeOf, type AirgapReport } from '../../fleet/index.ts';
import { SkiffError } from '../../util/index.ts';
import { mutate, principalOf, requireUser } from '../context.ts';
import { requireCustomerAdmin } from '../access.ts';
import { addReportEvents } from '../instance-events.ts';
import { SECURITY } from '../schemas.ts';
import type { MetadataDb } from '../db/types.ts';
import type { LogLine } from '../db/sql-logs.ts';
import { MAX_LINE_CHARS } from './logs.ts';

export interface ImportAnswer {
  readonly instance: string;
  readonly seq: number;
  readonly imported: boolean;
  readonly message: string;
}

export async function airgapReportRoutes(app: FastifyInstance): Promise<void> {
  const { db, access } = app.hub;

  app.post<{ Body: unknown }>('/reports', {
    bodyLimit: MAX_REPORT_BYTES,
    schema: { tags: ['instances'], summary: "Import an air-gapped instance's signed report (.skiffr); importing the same report again changes nothing", security: SECURITY, body: { type: 'object' } },
  }, async (req): Promise<ImportAnswer> => {
    const p = principalOf(req);
    if (p.kind === 'customer') requireCustomerAdmin(p, 'upload reports');
    else requireUser(req, 'customer:write', 'route POST /api/v1/reports');
    const env = reportEnvelopeOf(req.body, 'the body');
    const id = claimedInstance(env);
    // A customer-admin uploads its own instances' reports only; another customer's instance is NOT_FOUND to it.
    if (p.kind === 'customer') await access.instance(p, id);
    const inst = await db.getInstance(id);
    const target = inst && { id: inst.id, app: inst.app, publicKey: inst.publicKey, revokedAt: inst.revokedAt };
    const decision = checkReport(env, target, inst ? ((await db.getAirgapState(inst.id)).lastReport ?? undefined) : undefined);
    const { report, digest, gap } = decision;
    if (decision.kind === 'duplicate') return { instance: id, seq: report.seq, imported: false, message: `report ${report.seq} of instance ${id} was already imported: nothing changed` };
    await mutate(app, req, async (tx) => {
      const before = await db.getInstance(id);
      await db.reportInstance(id, { currentVersion: report.status.currentVersion, health: report.status.health, report: { ...report.status, airgapped: true, reportSeq: report.seq } });
      // Only a later sequence number moves the record on: a concurrent import of the same report loses here.
      if (!(await tx.recordReportImport(id, { seq: report.seq, digest, createdAt: report.createdAt })))
        throw new SkiffError('CONFLICT', `report ${report.seq} of instance ${id} was imported at the same moment by another request: nothing changed`);
      await addReportEvents(db, id, before, report.status, report.createdAt);
      if (gap) await db.addInstanceEvent(id, { at: report.createdAt, kind: 'report-gap', detail: { from: gap.from, to: gap.to, message: gapMessage(gap) } });
      if (report.resendsAfter !== undefined) await db.addInstanceEvent(id, { at: report.createdAt, kind: 'report-resend', detail: { after: report.resendsAfter, seq: report.seq } });
      for (const h of await newHistory(db, id, report)) await db.addInstanceEvent(id, { at: h.at, kind: 'agent', detail: { ...h } });
    }, { action: 'instance.report-import', target: `instance:${id}`, details: { seq: report.seq, digest, createdAt: report.createdAt, ...(gap ? { gap } : {}) } });
    // After the import committed, as for a connected instance's report: its version reaches the rollouts, and its (already
    // redacted) container logs join the log store, one stream per report (deduplicated there if this is ever repeated).
    if (inst) {
      await db.rollouts.noteReport(id, inst.app, report.status.currentVersion, null);
      const lines = reportLogLines(report.logs, report.createdAt);
      if (lines.length > 0) await db.logs.ingest({ instanceId: id, customerId: inst.customerId, stream: `airgap-report-${report.seq}`, lines });
    }
    const imported = `report ${report.seq} of instance ${id} imported (${report.status.currentVersion ?? 'nothing installed'}, ${report.status.health})`;
    return { instance: id, seq: report.seq, imported: true, message: gap ? `${imported}; ${gapMessage(gap)}` : imported };
  });
}

/** The report's history entries the instance's record lacks: a re-export repeats those of the reports that did arrive. */
async function newHistory(db: MetadataDb, id: string, report: AirgapReport): Promise<AirgapReport['history']> {
  if (report.resendsAfter === undefined) return report.history;
  const key = (d: Readonly<Record<string, unknown>>): string => JSON.stringify([d.at, d.event, d.from, d.to, d.detail]);
  const known = new Set((await db.listInstanceEvents(id, 5000)).filter((e) => e.kind === 'agent').map((e) => key(e.detail)));
  return report.history.filter((h) => !known.has(key(h)));
}

/** The report's per-container log texts as log lines (at the report's time: the agent sent the text without times). */
function reportLogLines(logs: readonly { service: string; text: string }[], at: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const l of logs)
    for (const message of l.text.split('\n'))
      if (message.trim() !== '') lines.push({ seq: lines.length + 1, at, service: l.service, source: 'report', level: 'info', message: message.slice(0, MAX_LINE_CHARS) });
  return lines;
}
