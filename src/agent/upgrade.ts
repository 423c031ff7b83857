// The upgrade state machine: every transition is journaled before it takes effect, so an agent killed at
// any point ends, on its next start, on the old release or the new one — never in between, and with the data
// of the release it ends on (the volumes an upgrade may change are copied first, and put back on the way back).
import { rm } from 'node:fs/promises';
import { semver } from '../util/index-semver.ts';
import type { HookName } from '../compose/index.ts';
import type { AgentEngine } from '../engine/index.ts';
import { findRelease, getRelease, type ReleaseManifest } from '../release/index.ts';
import { SkiffError, errorMessage, isSkiffError } from '../util/index.ts';
import { containerName } from './containers.ts';
import { deploy, projectOf, specHashes, switchServices, undeploy, waitServicesHealthy, type Deployment } from './deploy.ts';
import { runHook } from './hooks.ts';
import { phase } from './phase-trace.ts';
import { prune } from './prune.ts';
import { redactor, secretNames } from './secrets.ts';
import { DEFAULT_SNAPSHOTS, completeVolumes, planSnapshots, pruneSnapshots, restoreVolumes, sizePlan, snapshotId, takeSnapshot, writersOf, type SnapshotSettings } from './snapshots.ts';
import { stageImages } from './stage.ts';
import { testKillPoint, type AgentState, type HistoryEntry, type Installed, type Journal, type Phase, type StateDir } from './state.ts';

export interface RunOptions {
  readonly healthTimeoutMs: number;
  readonly stopTimeoutSec?: number;
  readonly keepReleases?: number;
  readonly snapshots?: SnapshotSettings;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** A step that failed: the service or hook, and why (secrets not yet hidden). */
type Failure = { readonly what: string; readonly reason: string; readonly hook?: boolean };

/** Any image of a release, by id: the engine needs one for the containers that hold a volume during a copy (they never start). */
const anyImage = (release: ReleaseManifest): string => `sha256:${Object.values(release.images)[0]!.configDigest.slice(7)}`;

export class Machine {
  readonly #sd: StateDir;
  readonly #engine: AgentEngine;
  readonly #opts: RunOptions;

  constructor(sd: StateDir, engine: AgentEngine, opts: RunOptions) {
    this.#sd = sd;
    this.#engine = engine;
    this.#opts = opts;
  }

  get #snapshotSettings(): SnapshotSettings {
    return this.#opts.snapshots ?? DEFAULT_SNAPSHOTS;
  }

  async #journal(j: Journal, patch: Partial<Journal> = {}): Promise<Journal> {
    const next = { ...j, ...patch };
    await this.#sd.writeJournal(next);
    return next;
  }

  async #phase(j: Journal, phase: Phase, reason?: string): Promise<Journal> {
    return this.#journal(j, { phase, ...(reason ? { reason } : {}) });
  }

  async #deployment(app: string, inst: Installed): Promise<Deployment> {
    return { release: (await getRelease(this.#sd.store, app, inst.version)).manifest, values: inst.values };
  }

  /** The volumes a switch from `from` to `to` may change and that fit the budget; a marked one that does not is an error. */
  async plannedSnapshot(from: Deployment, to: Deployment): Promise<{ name: string; bytes: number }[]> {
    const before = specHashes(from);
    const changed = new Set([...specHashes(to)].filter(([s, h]) => before.get(s) !== h).map(([s]) => s));
    const plan = planSnapshots(projectOf(from), projectOf(to), changed);
    return sizePlan(this.#engine, to.release.app, plan, this.#snapshotSettings, (line) => this.#opts.log?.(line));
  }

  /** From `verified` (release and blobs in the store) to `committed`, or back to `from` on failure. */
  async run(journal: Journal): Promise<void> {
    let j = journal;
    const { app } = j;
    const to = await this.#deployment(app, j.to);
    const from = j.from ? await this.#deployment(app, j.from) : undefined;
    this.#opts.log?.(`staging images of ${app}@${j.to.version}`);
    let failure: Failure | undefined;
    try {
      await stageImages(this.#engine, this.#sd.store, to.release, this.#opts.signal);
      phase('staged');
      j = await this.#phase(j, 'staged');
      failure = await this.#forward(j, to, from);
    } catch (e) {
      await this.#recover(e);
    }
    if (failure === undefined) return;
    const reason = (await this.#redactor(j))(failure.hook ? failure.reason : `service ${failure.what} failed: ${failure.reason}`);
    await this.#revert(await this.#sd.readJournal() ?? j, reason);
    const code = failure.hook ? 'HOOK_FAILED' : 'HEALTH_FAILED';
    if (j.op === 'reconfigure') throw new SkiffError(code, `${app}@${j.to.version} with the new values: ${reason}; back on the previous values`);
    throw new SkiffError(code, `${app}@${j.to.version} ${reason}; ${j.from ? `rolled back to ${j.from.version}` : 'removed it (nothing was installed before)'}`);
  }

  /**
   * An engine call (or the disk) failed midway: goes back at once, as resume would, so the site does not wait for the
   * next command in between; then reports the failure, and where the site is.
   */
  async #recover(e: unknown): Promise<never> {
    const j = await this.#sd.readJournal();
    if (!j) throw e;
    const what = errorMessage(e);
    let where: string;
    try {
      // Failed while waiting for health (or in the post-upgrade hook): not healthy, so back; committed: finish the commit.
      where = await this.resume(j.phase === 'health-checking' || j.phase === 'post-hooks' ? { ...j, phase: 'rolling-back', reason: what } : j.phase === 'committed' ? j : { ...j, reason: what });
    } catch (again) {
      throw new SkiffError(isSkiffError(e) ? e.code : 'ENGINE_ERROR', `${j.app}@${j.to.version}: ${what}; going back failed too (${errorMessage(again)}): run skiff agent resume once the engine answers`, { cause: e });
    }
    throw new SkiffError(isSkiffError(e) ? e.code : 'ENGINE_ERROR', `${j.app}@${j.to.version}: ${what}; ${where}`, { cause: e });
  }

  /** snapshot → pre-hooks → switching → health-checking → post-hooks → committed; the first failure, if any. */
  async #forward(j: Journal, to: Deployment, from: Deployment | undefined): Promise<Failure | undefined> {
    const project = projectOf(to);
    const hook = (name: HookName) => project.hooks.find((h) => h.name === name);
    // Hooks run on upgrades (not on a first install, nor on new values for the release that runs).
    if (from && j.op !== 'reconfigure') {
      const volumes = (await this.plannedSnapshot(from, to)).map((v) => v.name);
      const pre = hook('pre-upgrade');
      const hookVolumes = pre ? project.services[pre.service]!.volumes.flatMap((m) => (m.type === 'volume' && m.source !== undefined && !m.readOnly ? [m.source] : [])) : [];
      const stopped = writersOf(projectOf(from), [...new Set([...volumes, ...hookVolumes])]);
      if (volumes.length > 0 || stopped.length > 0) {
        const id = snapshotId(from.release.version, new Date());
        j = await this.#journal(j, { phase: 'snapshot', snapshot: { id, volumes, stopped } });
        // Writers stop so the copy (and a migration) sees settled data; a service that does not change starts again at the switch.
        for (const s of stopped) await this.#engine.containerStop(containerName(j.app, s), this.#opts.stopTimeoutSec ?? 10).catch(() => undefined);
        testKillPoint('quiesced');
        if (volumes.length > 0) {
          this.#opts.log?.(`snapshot of ${volumes.join(', ')}`);
          await pruneSnapshots(this.#sd.dir, this.#snapshotSettings, 1, id);
          await takeSnapshot(this.#engine, this.#sd.dir, { id, app: j.app, release: from.release.version, before: to.release.version, createdAt: new Date().toISOString() }, volumes, anyImage(from.release), async (v) => testKillPoint(`snapshot:${v}`));
        }
      }
      if (pre) {
        j = await this.#phase(j, 'pre-hooks');
        this.#opts.log?.(`running hook pre-upgrade`);
        const r = await runHook(this.#engine, to.release, project, pre, { signal: this.#opts.signal, onStarted: async () => testKillPoint('hook:pre-upgrade:started') });
        if (!r.ok) return { what: 'pre-upgrade', reason: r.reason, hook: true };
      }
    }
    j = await this.#phase(j, 'switching');
    this.#opts.log?.(j.op === 'reconfigure' ? `switching ${j.app}@${j.to.version} to new values` : `switching ${j.app} to ${j.to.version}`);
    const switched: Record<string, string> = {};
    const sw = await switchServices(this.#engine, to, {
      ...this.#deployOptions(),
      onStep: async (service, step) => {
        phase(`${step}:${service}`);
        switched[service] = step;
        j = await this.#journal(j, { switched: { ...switched } });
        testKillPoint(`swap:${service}:${step}`);
      },
    });
    if (!sw.ok) return { what: sw.service, reason: sw.reason };
    j = await this.#phase(j, 'health-checking');
    return this.#healthThenCommit(j, to);
  }

  /** The health gate, the post-upgrade hook, the commit: also where a resumed `health-checking` picks up. */
  async #healthThenCommit(j: Journal, to: Deployment): Promise<Failure | undefined> {
    const health = await waitServicesHealthy(this.#engine, to, new Map(), this.#deployOptions());
    phase('healthy');
    if (!health.ok) return { what: health.service, reason: health.reason };
    const post = projectOf(to).hooks.find((h) => h.name === 'post-upgrade');
    if (post && j.from && j.op !== 'reconfigure') {
      j = await this.#phase(j, 'post-hooks');
      const r = await runHook(this.#engine, to.release, projectOf(to), post, { signal: this.#opts.signal, onStarted: async () => testKillPoint('hook:post-upgrade:started') });
      if (!r.ok) return { what: 'post-upgrade', reason: r.reason, hook: true };
    }
    await this.#commit(j);
    return undefined;
  }

  #deployOptions() {
    return { healthTimeoutMs: this.#opts.healthTimeoutMs, stopTimeoutSec: this.#opts.stopTimeoutSec, signal: this.#opts.signal };
  }

  /** Hides the secret values of both sides of a switch in a reason (a probe's output may print them). */
  async #redactor(j: Journal): Promise<(text: string) => string> {
    const secrets: string[] = [];
    for (const inst of j.from ? [j.to, j.from] : [j.to]) {
      const release = (await findRelease(this.#sd.store, j.app, inst.version).catch(() => undefined))?.manifest;
      const names = secretNames(release, inst);
      secrets.push(...Object.entries(inst.values).flatMap(([k, v]) => (names.has(k) ? [v] : [])));
    }
    return redactor(secrets);
  }

  async #commit(j: Journal): Promise<void> {
    j = await this.#phase(j, 'committed');
    const state = (await this.#sd.readState()) ?? { app: j.app, history: [] };
    const reconfigure = j.op === 'reconfigure';
    // Committing twice (resumed at `committed`) records it once: a reconfiguration is told apart by its time.
    const recorded = state.current?.version === j.to.version && (!reconfigure || state.current.installedAt === j.to.installedAt);
    if (!recorded) {
      const event: HistoryEntry['event'] = j.op === 'rollback' ? 'rolled-back' : reconfigure ? 'reconfigured' : j.from ? 'upgraded' : 'installed';
      // A reconfiguration keeps the previous release the operator can roll back to.
      const previous = reconfigure ? state.previous : j.from;
      await this.#sd.writeState(withHistory({ ...state, current: j.to, previous }, { event, from: j.from?.version, to: j.to.version }));
    }
    const highest = (await this.#sd.readTrust())?.highestVersion;
    if (!highest || semver.gt(j.to.version, highest)) await this.#sd.updateTrust({ highestVersion: j.to.version });
    const keep = [j.to.version, ...(j.from ? [j.from.version] : [])].slice(0, this.#opts.keepReleases ?? 2);
    if (!reconfigure) await prune(this.#engine, this.#sd.store, j.app, keep);
    await pruneSnapshots(this.#sd.dir, this.#snapshotSettings);
    await rm(this.#sd.staging(j.stagingId), { recursive: true, force: true });
    await this.#sd.clearJournal();
    phase('committed');
    this.#opts.log?.(`${j.app} is on ${j.to.version}`);
  }

  /** Back to `from` — its volumes restored from the snapshot before it starts — or to nothing, for a first install. */
  async #revert(j: Journal, reason: string): Promise<void> {
    j = await this.#phase(j, 'rolling-back', reason);
    this.#opts.log?.(`rolling back: ${reason}`);
    let failed: string | undefined;
    if (j.from) {
      const from = await this.#deployment(j.app, j.from);
      const restore = j.snapshot ? await completeVolumes(this.#sd.dir, j.snapshot.id, j.snapshot.volumes) : [];
      if (j.snapshot && restore.length > 0) {
        this.#opts.log?.(`restoring ${restore.join(', ')} from the snapshot`);
        await restoreVolumes(this.#engine, this.#sd.dir, j.app, j.snapshot.id, restore, anyImage(from.release), async (v) => testKillPoint(`restore:${v}`));
      }
      await stageImages(this.#engine, this.#sd.store, from.release, this.#opts.signal);
      const back = await deploy(this.#engine, from, { ...this.#deployOptions(), onStep: async (service, step) => testKillPoint(`back:${service}:${step}`) });
      if (!back.ok) failed = (await this.#redactor(j))(`service ${back.service} failed: ${back.reason}`);
    } else {
      await undeploy(this.#engine, j.app, this.#opts.stopTimeoutSec);
    }
    j = await this.#phase(j, 'rolled-back');
    const state = (await this.#sd.readState()) ?? { app: j.app, history: [] };
    const entry: Omit<HistoryEntry, 'at'> = failed
      ? { event: 'rollback-failed', from: j.to.version, to: j.from?.version, detail: `${reason}; rollback: ${failed}` }
      : { event: 'rolled-back', from: j.to.version, to: j.from?.version, detail: j.op === 'reconfigure' ? `new values: ${reason}` : reason };
    await this.#sd.writeState(withHistory(state, entry));
    await rm(this.#sd.staging(j.stagingId), { recursive: true, force: true });
    await this.#sd.clearJournal();
    if (failed) throw new SkiffError('HEALTH_FAILED', `${j.app}@${j.to.version} ${reason}, and the rollback to ${j.from?.version} failed too (${failed}): check the engine with docker ps`);
  }

  /** Finishes an operation a killed agent left in the journal. */
  async resume(j: Journal): Promise<string> {
    switch (j.phase) {
      case 'fetching':
      case 'verified':
      case 'staged':
      case 'rolled-back':
        // Nothing was stopped yet (or the way back is complete): the old release still runs.
        await rm(this.#sd.staging(j.stagingId), { recursive: true, force: true });
        await this.#sd.clearJournal();
        return `interrupted ${j.op} of ${j.to.version} discarded; ${j.from ? `still on ${j.from.version}` : 'nothing installed'}`;
      case 'committed':
        await this.#commit(j);
        return `${j.op} of ${j.to.version} completed`;
      case 'health-checking': {
        // Every container was switched: the health gate decides, as it would have had the agent not stopped.
        const failure = await this.#healthThenCommit(j, await this.#deployment(j.app, j.to));
        if (failure === undefined) return `${j.op} of ${j.to.version} completed after the health check`;
        await this.#revert(j, (await this.#redactor(j))(failure.hook ? failure.reason : `service ${failure.what} failed: ${failure.reason}`));
        return `interrupted ${j.op} of ${j.to.version} rolled back; ${j.from ? `on ${j.from.version}` : 'nothing installed'}`;
      }
      case 'snapshot':
      case 'pre-hooks':
      case 'switching':
      case 'post-hooks':
      case 'rolling-back':
        await this.#revert(j, j.reason ?? `the agent stopped while ${j.phase}`);
        return `interrupted ${j.op} of ${j.to.version} rolled back; ${j.from ? `on ${j.from.version}` : 'nothing installed'}`;
    }
  }
}

export function withHistory(state: AgentState, e: Omit<HistoryEntry, 'at'>): AgentState {
  return { ...state, history: [...state.history, { at: new Date().toISOString(), ...e }].slice(-100) };
}
