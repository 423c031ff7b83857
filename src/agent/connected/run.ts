// `skiff agent run`: the connected agent. Enrolls once, then polls its desired state; downloads the bundle an
// air-gapped site would carry (delta from what it runs, resumable), and installs it through the very same
// verify → stage → switch → health → rollback path as `skiff agent install` (new values for the release that runs go
// the same way), only inside a maintenance window (or when the hub says install now). Reports after every change and
// on a heartbeat. The hub being unreachable never touches the running app: the agent backs off and reports the gap
// when the hub is back.
import { mkdir, rm, stat } from 'node:fs/promises';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { nextOpening, windowOpen, type DesiredSigned, type Outage } from '../../fleet/index.ts';
import { readIdentityFile } from '../../bundle/index.ts';
import { backoffDelay, fetchBundle } from '../../hub-client/index.ts';
import { errorMessage, isSkiffError, SkiffError } from '../../util/index.ts';
import { install, reconfigure } from '../install.ts';
import type { SnapshotSettings } from '../snapshots.ts';
import { StateDir } from '../state.ts';
import { answerSupportRequest } from '../support/support-bundle.ts';
import { enroll } from './enroll.ts';
import { ConnectedDir, hubConnection, type Identity } from './identity.ts';
import { pollDesired } from './poll.ts';
import { buildReport, sendReport } from './report.ts';
import { fetchValues, hasValues } from './values.ts';
import { startLogAgent } from './logs/index.ts';
import { DockerEngine } from '../../engine/index.ts';

export interface ConnectedOptions {
  readonly stateDir: string;
  /** Needed only to enroll; an enrolled agent uses what it recorded. */
  readonly hub?: string;
  readonly enrollToken?: string;
  /** A PEM file of the CA that issued the hub's certificate (--hub-ca); SKIFF_HUB_CA otherwise. */
  readonly hubCa?: string;
  readonly name?: string;
  /** Run one cycle and return (tests, cron). */
  readonly once?: boolean;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  readonly now?: () => Date;
  readonly bytesPerSecond?: number;
  readonly healthTimeoutMs?: number;
  readonly stopTimeoutSec?: number;
  readonly snapshots?: SnapshotSettings;
  /** Heartbeat report interval; default 5 minutes. */
  readonly reportEveryMs?: number;
  /** Collect and ship the containers' logs (default: yes, except with `once`). */
  readonly logs?: boolean;
  /** The site's age identity file, for bundles the hub encrypts to this customer's key (as `agent install --identity`). */
  readonly identityFile?: string;
}

const BACKOFF = { attempts: Infinity, baseDelayMs: 1_000, maxDelayMs: 300_000 };

/** What the agent loop carries from one cycle to the next. */
export interface CycleMemo {
  lastError: string | null;
  /** When the last status report reached the hub (ms since the epoch). */
  lastReport: number;
  /** Cycles in a row that could not reach the hub, and when the first of them ran. */
  failures: number;
  offlineSince?: string;
  /** The last gap, reported with every status once the hub is back. */
  lastOutage?: Outage;
}

/** Enrolls if needed and returns the identity. */
export async function connect(opts: ConnectedOptions): Promise<Identity> {
  const sd = new StateDir(opts.stateDir);
  const cd = new ConnectedDir(opts.stateDir);
  const known = await cd.readIdentity();
  if (known) return known;
  if (!opts.hub || !opts.enrollToken) throw new SkiffError('USAGE', `${opts.stateDir} is not enrolled yet: pass --hub URL and --enroll-token T (from skiff customer enroll-token)`);
  return enroll(sd, cd, { hub: opts.hub, token: opts.enrollToken, ...(opts.hubCa ? { hubCa: opts.hubCa } : {}), ...(opts.name ? { name: opts.name } : {}), facts: { agent: 'skiff' } });
}

/** One cycle: poll, download, maybe install; returns the next poll delay. */
export async function cycle(id: Identity, opts: ConnectedOptions, memo: CycleMemo): Promise<number> {
  const sd = new StateDir(opts.stateDir);
  const cd = new ConnectedDir(opts.stateDir);
  const now = opts.now?.() ?? new Date();
  const log = opts.log ?? (() => undefined);
  let desired: DesiredSigned | undefined;
  let changed: boolean;
  try {
    const trusted = await sd.readTrust();
    if (!trusted) throw new SkiffError('STATE_INVALID', `${opts.stateDir} has no trusted root: enroll again`);
    const polled = await pollDesired(id, cd, trusted.root, now, opts.signal, opts.hubCa);
    desired = polled.desired;
    if (memo.failures > 0) {
      memo.lastOutage = { since: memo.offlineSince ?? now.toISOString(), until: now.toISOString(), failedPolls: memo.failures };
      log(`hub reachable again after ${memo.failures} failed poll(s) since ${memo.lastOutage.since}`);
    }
    memo.failures = 0;
    changed = await converge(id, sd, cd, desired, now, opts, log);
    if (changed) memo.lastError = null;
    if (desired.supportBundle) {
      const sent = await answerSupportRequest(opts.stateDir, opts.hubCa);
      log(`support bundle sent to the hub as the vendor asked (${sent.size} bytes, ${sent.id})`);
    }
  } catch (e) {
    // Out of reach, or a hub that is shutting down (UNAVAILABLE): the same outage, the same back-off.
    if (isSkiffError(e, 'HUB_UNREACHABLE') || isSkiffError(e, 'UNAVAILABLE')) {
      if (memo.failures === 0) memo.offlineSince = now.toISOString();
      memo.failures++;
      log(`hub unreachable (${memo.failures}): ${errorMessage(e)}; the app keeps running`);
      return backoffDelay(memo.failures, BACKOFF);
    }
    memo.lastError = errorMessage(e);
    changed = true;
    log(`agent: ${memo.lastError}`);
  }
  const every = opts.reportEveryMs ?? 300_000;
  // A gap is reported as soon as the hub is back (and again until a report gets through).
  const gapUnreported = memo.lastOutage !== undefined && memo.lastReport < Date.parse(memo.lastOutage.until);
  if (changed || gapUnreported || now.getTime() - memo.lastReport >= every) {
    const [state, failed] = await Promise.all([sd.readState(), cd.readFailed().catch(() => undefined)]);
    const report = await buildReport(opts.stateDir, desired?.release?.version ?? null, changed ? 'reported' : 'idle', memo.lastError);
    const failedRelease = failed ? { version: failed.version, at: failed.at, reason: failed.reason.slice(0, 4096) } : null;
    await sendReport(id, { ...report, currentVersion: state?.current?.version ?? null, lastOutage: memo.lastOutage ?? null, failedRelease }, opts.hubCa).then(
      () => void (memo.lastReport = now.getTime()),
      (e: unknown) => log(`status report not sent: ${errorMessage(e)}`),
    );
  }
  const poll = (desired?.pollSeconds ?? 60) * 1000;
  return Math.round(poll * (0.8 + Math.random() * 0.4));
}

/** Moves the site toward the desired release and values; true when something changed (installed, reconfigured, rolled back, refused). */
async function converge(id: Identity, sd: StateDir, cd: ConnectedDir, desired: DesiredSigned, now: Date, opts: ConnectedOptions, log: (l: string) => void): Promise<boolean> {
  const want = desired.release;
  const current = (await sd.readState())?.current;
  if (!want) return false;
  // The release that runs, with other values: applied like an upgrade (same switch, health gate and rollback).
  const reconfiguring = want.version === current?.version;
  if (reconfiguring && hasValues(current, desired.valuesDigest)) return false;
  // A release (with these values) that failed here is not tried again on its own; "install now" from the hub tries it
  // once more, once: the hub clears the request when the report says it failed again.
  const failed = await cd.readFailed();
  if (failed?.digest === want.digest && (failed.valuesDigest ?? null) === desired.valuesDigest) {
    if (!desired.installNow) {
      if (failed.installNow) await cd.writeFailed({ ...failed, installNow: false });
      return false;
    }
    if (failed.installNow) return false;
  }
  const from = current?.version;
  const file = reconfiguring ? undefined : cd.downloads(`${id.app}-${from ? `${from}-to-` : ''}${want.version}.skiff`);
  if (file !== undefined) {
    await mkdir(cd.downloads(), { recursive: true });
    const size = await stat(file).then((s) => s.size, () => undefined);
    const got = size !== undefined ? { size } : await fetchBundle({
      conn: hubConnection(id, opts.hubCa),
      app: id.app,
      version: want.version,
      ...(from ? { from } : {}),
      output: file,
      signal: opts.signal,
      ...(opts.bytesPerSecond ? { bytesPerSecond: opts.bytesPerSecond } : {}),
    });
    if (!desired.installNow && !windowOpen(desired.windows, now)) {
      log(`${id.app}@${want.version} downloaded (${got.size} bytes); waiting for the maintenance window (next opening ${nextOpening(desired.windows, now)?.toISOString() ?? 'none within a week'})`);
      return false;
    }
  } else if (!desired.installNow && !windowOpen(desired.windows, now)) {
    log(`new values for ${id.app}@${want.version}; waiting for the maintenance window (next opening ${nextOpening(desired.windows, now)?.toISOString() ?? 'none within a week'})`);
    return false;
  }
  const values = desired.valuesDigest === null ? undefined : await fetchValues(id, hubConnection(id, opts.hubCa), want.version, desired.valuesDigest);
  const common = {
    stateDir: sd.dir,
    expectDigest: want.digest,
    log,
    healthTimeoutMs: opts.healthTimeoutMs ?? 120_000,
    ...(opts.stopTimeoutSec ? { stopTimeoutSec: opts.stopTimeoutSec } : {}),
    ...(opts.snapshots ? { snapshots: opts.snapshots } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  try {
    if (file === undefined && values) {
      const changed = Object.keys({ ...values.values, ...current?.values }).filter((k) => values.values[k] !== current?.values[k]);
      log(`applying new values to ${id.app}@${want.version} (settings ${changed.sort().join(', ')})`);
      await reconfigure({ ...common, values });
    } else if (file !== undefined) {
      log(`installing ${id.app}@${want.version}${from ? ` over ${from}` : ''}`);
      await install({ ...common, bundle: file, ...(values ? { values } : {}), ...(opts.identityFile ? { identityFile: opts.identityFile } : {}) });
    }
    await cd.writeFailed(undefined);
  } catch (e) {
    await cd.writeFailed({ version: want.version, digest: want.digest, valuesDigest: desired.valuesDigest, installNow: desired.installNow, at: new Date().toISOString(), reason: errorMessage(e) });
    throw e;
  } finally {
    if (file !== undefined) await rm(file, { force: true });
  }
  return true;
}

/** The agent's main loop; returns when `once` is set or the signal aborts. */
export async function runConnected(opts: ConnectedOptions): Promise<void> {
  // A wrong --identity is told at start, not at the first encrypted bundle (maybe days later, in a maintenance window).
  if (opts.identityFile) await readIdentityFile(opts.identityFile);
  const id = await connect(opts);
  const memo: CycleMemo = { lastError: null, lastReport: 0, failures: 0 };
  const logs = (opts.logs ?? !opts.once) ? await startLogs(id, opts) : undefined;
  try {
    for (;;) {
      const wait = await cycle(id, opts, memo);
      if (opts.once || opts.signal?.aborted) return;
      await sleepFor(wait, undefined, { signal: opts.signal }).catch(() => undefined);
      if (opts.signal?.aborted) return;
    }
  } finally {
    await logs?.stop();
  }
}

/** Log collection beside the loop; an engine out of reach now is not a reason not to run (the loop reports it). */
async function startLogs(id: Identity, opts: ConnectedOptions): Promise<{ stop(): Promise<void> } | undefined> {
  const log = opts.log ?? (() => undefined);
  try {
    const engine = await DockerEngine.connect();
    const agent = await startLogAgent({ stateDir: opts.stateDir, app: id.app, instanceId: id.instanceId, conn: hubConnection(id, opts.hubCa), engine, log });
    return { stop: async () => (await agent.stop(), await engine.close()) };
  } catch (e) {
    log(`log collection not started: ${errorMessage(e)}`);
    return undefined;
  }
}
