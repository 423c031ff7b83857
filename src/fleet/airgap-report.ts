// The air-gapped report (`.skiffr`): an instance's status, history and redacted logs since its last report, signed by
// the instance's own ed25519 key and sequence-numbered. The hub applies one only when it is this instance's, unaltered,
// and later in sequence than the last it imported; the same report again is a no-op, an older one a replay. A later one
// that skips numbers is applied (a lost report must not block the site's later ones) and the gap is recorded: the site
// re-exports what the lost reports carried with `skiff agent report --since N` (N the last report the hub has).
import { createHash, createPublicKey, verify } from 'node:crypto';
import * as z from 'zod';
import { canonicalBytes, signBytes, type Signature } from '../trust/index.ts';
import { SkiffError } from '../util/index.ts';

/** Reports larger than this are refused (the agent keeps well under it by trimming logs). */
export const MAX_REPORT_BYTES = 8 * 1024 * 1024;
/** What the agent puts of logs into one report, at most. */
export const MAX_REPORT_LOG_BYTES = 2 * 1024 * 1024;

const HistoryEntrySchema = z.object({ at: z.string(), event: z.string(), from: z.string().optional(), to: z.string().optional(), detail: z.string().optional() }).strict();

export const AirgapReportSchema = z
  .object({
    _type: z.literal('report'),
    app: z.string().min(1).max(64),
    instance: z.string().min(1).max(64),
    seq: z.int().min(1),
    createdAt: z.iso.datetime({ offset: true }),
    /** The start of the window this report covers: the createdAt of the report before it, or of report resendsAfter (null: from enrollment). */
    since: z.iso.datetime({ offset: true }).nullable(),
    /** Set when the site re-exported (skiff agent report --since N): the history and logs since report N, for reports lost on the way. */
    resendsAfter: z.int().min(0).optional(),
    status: z
      .object({
        currentVersion: z.string().max(128).nullable(),
        health: z.enum(['healthy', 'unhealthy', 'unknown']),
        phase: z.string().max(64),
        services: z.array(z.object({ service: z.string(), state: z.string(), health: z.string() }).strict()).max(256),
        diskFreeBytes: z.number().nullable(),
        agentVersion: z.string().max(64),
        lastError: z.string().max(4096).nullable(),
      })
      .strict(),
    history: z.array(HistoryEntrySchema).max(1000),
    logs: z.array(z.object({ service: z.string().max(128), container: z.string().max(256), text: z.string() }).strict()).max(256),
  })
  .strict();
export type AirgapReport = z.infer<typeof AirgapReportSchema>;

const EnvelopeSchema = z
  .object({
    signed: z.unknown(),
    signatures: z.array(z.object({ keyid: z.string().regex(/^[0-9a-f]{64}$/), sig: z.base64().min(1) }).strict()).min(1).max(4),
  })
  .strict();

export interface ReportEnvelope {
  readonly signed: AirgapReport;
  readonly signatures: readonly Signature[];
}

export function signReport(report: AirgapReport, privateKey: Parameters<typeof signBytes>[0]): ReportEnvelope {
  return { signed: report, signatures: [signBytes(privateKey, canonicalBytes(report))] };
}

/** What the hub knows of the instance a report names. */
export interface ReportTarget {
  readonly id: string;
  readonly app: string;
  /** SPKI DER, base64, recorded at enrollment. */
  readonly publicKey: string | null;
  readonly revokedAt: string | null;
}

/** The last report the hub imported for the instance (none yet: undefined). */
export interface LastImport {
  readonly seq: number;
  readonly digest: string;
}

/** Reports numbered from..to never reached the hub (a report after them did). */
export interface ReportGap {
  readonly from: number;
  readonly to: number;
}

export type ReportDecision = { readonly kind: 'apply' | 'duplicate'; readonly report: AirgapReport; readonly digest: string; readonly gap?: ReportGap };

/** What the hub tells of a gap, in one line: which reports are missing and how the site re-exports what they carried. */
export function gapMessage(gap: ReportGap): string {
  const which = gap.from === gap.to ? `report ${gap.from} never arrived` : `reports ${gap.from} to ${gap.to} never arrived`;
  return `${which}: on the site, skiff agent report --since ${gap.from - 1} re-exports what ${gap.from === gap.to ? 'it' : 'they'} carried`;
}

/** A report file's content (parsed JSON) as a signed envelope, or a one-line refusal. */
export function reportEnvelopeOf(value: unknown, what: string): { signed: unknown; signatures: Signature[] } {
  const env = EnvelopeSchema.safeParse(value);
  if (!env.success) throw new SkiffError('INVALID_INPUT', `${what} is not a Skiff report (no signed envelope): pass the .skiffr file skiff agent report wrote`);
  return env.data;
}

/** The instance a report claims to come from, read before any check, so the hub can look it up. */
export function claimedInstance(env: { signed: unknown }): string {
  const parsed = AirgapReportSchema.safeParse(env.signed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkiffError('INVALID_INPUT', `the report is malformed (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}): refused`);
  }
  return parsed.data.instance;
}

/** Decides whether a report is applied, is one already imported, or is refused (and why, in one line). */
export function checkReport(env: { signed: unknown; signatures: readonly Signature[] }, target: ReportTarget | undefined, last: LastImport | undefined): ReportDecision {
  const instance = claimedInstance(env);
  const report = AirgapReportSchema.parse(env.signed);
  if (!target || target.app !== report.app)
    throw new SkiffError('NOT_FOUND', `the report is from ${report.app} instance ${instance}, which this hub does not know: a foreign report, refused (import it at the hub the site enrolled with)`);
  if (target.revokedAt !== null) throw new SkiffError('TRUST_INVALID', `instance ${instance} was revoked at ${target.revokedAt}: its reports are refused`);
  if (!target.publicKey) throw new SkiffError('TRUST_INVALID', `instance ${instance} has no key at the hub: it cannot sign reports; enroll it again`);
  const spki = Buffer.from(target.publicKey, 'base64');
  const keyid = createHash('sha256').update(spki).digest('hex');
  const bytes = canonicalBytes(report);
  const mine = env.signatures.filter((s) => s.keyid === keyid);
  if (mine.length === 0) throw new SkiffError('TRUST_INVALID', `the report is not signed by instance ${instance}'s key (${keyid.slice(0, 12)}…): a foreign report, refused`);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  if (!mine.some((s) => verify(null, bytes, key, Buffer.from(s.sig, 'base64'))))
    throw new SkiffError('SIGNATURE_INVALID', `the report's signature does not match its content: it was altered after instance ${instance} signed it, refused`);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const lastSeq = last?.seq ?? 0;
  if (last && report.seq === last.seq && digest === last.digest) return { kind: 'duplicate', report, digest };
  if (report.seq <= lastSeq)
    throw new SkiffError('CONFLICT', `report ${report.seq} of instance ${instance} is a replay: report ${lastSeq} is already imported, refused (a report that was lost is re-exported with skiff agent report --since N)`);
  if (report.seq > lastSeq + 1) return { kind: 'apply', report, digest, gap: { from: lastSeq + 1, to: report.seq - 1 } };
  return { kind: 'apply', report, digest };
}
