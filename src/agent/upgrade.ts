// The upgrade state machine: every transition is journaled before it takes effect, so an agent killed at
// any point ends, on its next start, on the old release or the new one — never in between.
import type { DockerEngine } from '../engine/index.ts';
import { findRelease, getRelease } from '../release/index.ts';
import { SkiffError } from '../util/index.ts';
import { deploy, undeploy, type DeployResult } from './deploy.ts';
import { prune } from './prune.ts';
import { redactor, secretNames } from './secrets.ts';
import { stageImages } from './stage.ts';
import type { AgentState, HistoryEntry, Installed, Journal, Phase, StateDir } from './state.ts';
import { rm } from 'node:fs/promises';
import semver from 'semver';

export interface RunOptions {
  readonly healthTimeoutMs: number;
  readonly stopTimeoutSec?: number;
  readonly keepReleases?: number;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export class Machine {
  readonly #sd: StateDir;
  readonly #engine: DockerEngine;
  readonly #opts: RunOptions;

  constructor(sd: StateDir, engine: DockerEngine, opts: RunOptions) {
    this.#sd = sd;
    this.#engine = engine;
    this.#opts = opts;
  }

  async #phase(j: Journal, phase: Phase, reason?: string): Promise<Journal> {
    const next = { ...j, phase, ...(reason ? { reason } : {}) };
    await this.#sd.writeJournal(next);
    return next;
  }

  async #deploy(to: Installed, app: string): Promise<DeployResult> {
    const release = (await getRelease(this.#sd.store, app, to.version)).manifest;
    await stageImages(this.#engine, this.#sd.store, release, this.#opts.signal);
    return deploy(this.#engine, { release, values: to.values }, { healthTimeoutMs: this.#opts.healthTimeoutMs, stopTimeoutSec: this.#opts.stopTimeoutSec, signal: this.#opts.signal });
  }

  /** From `verified` (release and blobs in the store) to `committed`, or back to `from` on failure. */
  async run(journal: Journal): Promise<void> {
    let j = journal;
    const { app } = j;
    const release = (await getRelease(this.#sd.store, app, j.to.version)).manifest;
    this.#opts.log?.(`staging images of ${app}@${j.to.version}`);
    await stageImages(this.#engine, this.#sd.store, release, this.#opts.signal);
    j = await this.#phase(j, 'staged');
    j = await this.#phase(j, 'switching');
    this.#opts.log?.(j.op === 'reconfigure' ? `switching ${app}@${j.to.version} to new values` : `switching ${app} to ${j.to.version}`);
    const result = await this.#deploy(j.to, app);
    j = await this.#phase(j, 'health-checking');
    if (result.ok) return this.#commit(j);
    const reason = (await this.#redactor(j))(`service ${result.service} failed: ${result.reason}`);
    await this.#revert(j, reason);
    if (j.op === 'reconfigure') throw new SkiffError('HEALTH_FAILED', `${app}@${j.to.version} with the new values: ${reason}; back on the previous values`);
    throw new SkiffError('HEALTH_FAILED', `${app}@${j.to.version} ${reason}; ${j.from ? `rolled back to ${j.from.version}` : 'removed it (nothing was installed before)'}`);
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
    await rm(this.#sd.staging(j.stagingId), { recursive: true, force: true });
    await this.#sd.clearJournal();
    this.#opts.log?.(`${j.app} is on ${j.to.version}`);
  }

  /** Back to `from` (or to nothing, for a first install). */
  async #revert(j: Journal, reason: string): Promise<void> {
    j = await this.#phase(j, 'rolling-back', reason);
    this.#opts.log?.(`rolling back: ${reason}`);
    let failed: string | undefined;
    if (j.from) {
      const back = await this.#deploy(j.from, j.app);
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
        // Nothing was switched yet (or the way back is complete): the old release still runs.
        await rm(this.#sd.staging(j.stagingId), { recursive: true, force: true });
        await this.#sd.clearJournal();
        return `interrupted ${j.op} of ${j.to.version} discarded; ${j.from ? `still on ${j.from.version}` : 'nothing installed'}`;
      case 'committed':
        await this.#commit(j);
        return `${j.op} of ${j.to.version} completed`;
      case 'switching':
      case 'health-checking':
      case 'rolling-back':
        await this.#revert(j, j.reason ?? `the agent stopped while ${j.phase}`);
        return `interrupted ${j.op} of ${j.to.version} rolled back; ${j.from ? `on ${j.from.version}` : 'nothing installed'}`;
    }
  }
}

export function withHistory(state: AgentState, e: Omit<HistoryEntry, 'at'>): AgentState {
  return { ...state, history: [...state.history, { at: new Date().toISOString(), ...e }].slice(-100) };
}
