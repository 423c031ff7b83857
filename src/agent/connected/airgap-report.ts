// `skiff agent report`: the air-gapped site's report file (.skiffr) — status, the history and the redacted container logs
// since the last report (bounded), sequence-numbered and signed with the instance key the site enrolled with.
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

export async function writeAirgapReport(stateDir: string, output: string, now = new Date()): Promise<AirgapReportResult> {
  const sd = new StateDir(stateDir);
  const cd = new ConnectedDir(stateDir);
  const id = await cd.readIdentity();
  if (!id) throw new SkiffError('USAGE', `${stateDir} is not enrolled: enroll it first (skiff agent enroll --offline --enroll-token T --state ${stateDir} -o request.json)`);
  const key = createPrivateKey(await cd.readInstanceKey());
  const last = await cd.readLastReport();
  const since = last ? new Date(last.at) : undefined;
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
    since: last?.at ?? null,
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
  await cd.writeLastReport({ seq: report.seq, at: report.createdAt });
  return { file: output, seq: report.seq, bytes: Buffer.byteLength(text), ...(logsMissing ? { logsMissing } : {}) };
}
