// `skiff agent report`: the air-gapped site's report file (.skiffr) — status, the history and the redacted container logs
// since the last report (bounded), sequence-numbered and signed with the instance key the site enrolled with. With
// `since`, a re-export: the next report covers the window from where report `since` ended (0: from enrollment), for
// reports lost on the way to the hub.
import { createPrivateKey } from 'node:crypto';
import { DockerEngine } from '../../engine/index.ts';
import { MAX_REPORT_LOG_BYTES, signReport, type AirgapReport, type ReportEnvelope } from '../../fleet/index.ts';
import { SkiffError, errorMessage, writeFileAtomic } from '../../util/index.ts';
import { StateDir } from '../state.ts';
import { ownedContainerLogs, type ContainerLog } from '../support/container-logs.ts';
import { siteSecrets } from '../support/site-secrets.ts';
import { ConnectedDir } from './identity.ts';
import { buildReport } from './report.ts';

export interface AirgapReportResult {
  readonly file: string;
  readonly seq: number;
  readonly bytes: number;
  /** Why no logs are in the report, when the engine could not be asked. */
  readonly logsMissing?: string;
}

const MAX_HISTORY = 1000;
/** How many written reports the site remembers (seq and time), i.e. how far back --since reaches. */
const REMEMBERED_REPORTS = 200;

export interface AirgapReportOptions {
  readonly now?: Date;
  /** Re-export: cover the history and logs since report N was written (0: since enrollment), not since the last report. */
  readonly since?: number;
}

export async function writeAirgapReport(stateDir: string, output: string, opts: AirgapReportOptions = {}): Promise<AirgapReportResult> {
  const now = opts.now ?? new Date();
  const sd = new StateDir(stateDir);
  const cd = new ConnectedDir(stateDir);
  const id = await cd.readIdentity();
  if (!id) throw new SkiffError('USAGE', `${stateDir} is not enrolled: enroll it first (skiff agent enroll --offline --enroll-token T --state ${stateDir} -o request.json)`);
  const key = createPrivateKey(await cd.readInstanceKey());
  const last = await cd.readLastReport();
  const written = last ? (last.written ?? [{ seq: last.seq, at: last.at }]) : [];
  const start = opts.since === undefined ? last : windowStart(opts.since, last?.seq ?? 0, written);
  const since = start ? new Date(start.at) : undefined;
  const status = await buildReport(stateDir, null, 'report', null);
  const state = await sd.readState();
  let logs: ContainerLog[] = [];
  let logsMissing: string | undefined;
  if (state) {
    let engine: DockerEngine | undefined;
    try {
      engine = await DockerEngine.connect();
      logs = await ownedContainerLogs(engine, state.app, { ...(since ? { since } : { tail: 1000 }), maxBytes: MAX_REPORT_LOG_BYTES }, await siteSecrets(sd));
    } catch (e) {
      logsMissing = errorMessage(e);
    } finally {
      await engine?.close();
    }
  }
  const report: AirgapReport = {
    _type: 'report',
    app: id.app,
    instance: id.instanceId,
    seq: (last?.seq ?? 0) + 1,
    createdAt: now.toISOString(),
    since: start?.at ?? null,
    ...(opts.since === undefined ? {} : { resendsAfter: opts.since }),
    status: {
      currentVersion: status.currentVersion,
      health: status.health,
      phase: status.phase,
      services: [...status.services],
      diskFreeBytes: status.diskFreeBytes,
      agentVersion: status.agentVersion,
      lastError: status.lastError,
    },
    history: (state?.history ?? []).filter((h) => !since || Date.parse(h.at) > since.getTime()).slice(-MAX_HISTORY),
    logs,
  };
  const envelope: ReportEnvelope = signReport(report, key);
  const text = JSON.stringify(envelope);
  await writeFileAtomic(output, text, 0o600);
  // Only a report written moves the sequence on; a failed write leaves the next report the same number.
  await cd.writeLastReport({ seq: report.seq, at: report.createdAt, written: [...written, { seq: report.seq, at: report.createdAt }].slice(-REMEMBERED_REPORTS) });
  return { file: output, seq: report.seq, bytes: Buffer.byteLength(text), ...(logsMissing ? { logsMissing } : {}) };
}

/** Where a re-export since report `n` starts (undefined: from enrollment), or USAGE naming a report this site cannot start from. */
function windowStart(n: number, lastSeq: number, written: readonly { seq: number; at: string }[]): { seq: number; at: string } | undefined {
  if (!Number.isInteger(n) || n < 0) throw new SkiffError('USAGE', `--since ${n} is not a report number: give the last report the hub has (0: everything since enrollment)`);
  if (n > lastSeq) throw new SkiffError('USAGE', `--since ${n}: this site has written reports up to ${lastSeq} only; give the last report the hub has`);
  if (n === 0) return undefined;
  const start = written.find((w) => w.seq === n);
  if (!start) throw new SkiffError('USAGE', `--since ${n}: this site remembers reports ${written[0]?.seq ?? lastSeq} to ${lastSeq} only; use --since 0 to re-export everything since enrollment (logs bounded)`);
  return start;
}
