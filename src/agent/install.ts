// `skiff agent install|rollback|resume`: read and verify a bundle into the store, then run the state machine.
import { createReadStream } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { semver } from '../util/index-semver.ts';
import { parseValuesYaml, resolveValues } from '../compose/index.ts';
import { DockerEngine, type AgentEngine } from '../engine/index.ts';
import { BUNDLE_READ_BYTES, basesText, bundleBases, readBundle, readIdentityFile, StagingSink, trustVerifier, type TrustOutcome } from '../bundle/index-read.ts';
import { AGENT_VERSION, findRelease, getRelease, saveRelease, releaseBytes, releaseDigest, type ReleaseManifest } from '../release/index.ts';
import { parseRoot, verifyRootSelfSigned, type RootMeta } from '../trust/index.ts';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';
import { parseImageManifest, type Digest, type ImageManifest } from '../oci/index.ts';
import { removePartialImages } from './chained-load.ts';
import { ensureInfra, projectOf } from './deploy.ts';
import { OverlappedImageLoad } from './image-load.ts';
import { phase } from './phase-trace.ts';
import { checkDisk, checkPorts, engineBytes } from './preflight.ts';
import { StateDir, type AgentState, type Installed, type Journal } from './state.ts';
import { Machine, type RunOptions } from './upgrade.ts';

export interface AgentOptions extends Partial<RunOptions> {
  readonly stateDir: string;
  readonly onProgress?: (done: number, total: number) => void;
  /** How to reach the engine; default: connect to the local Docker Engine (tests put faults in front of it). */
  readonly engine?: () => Promise<AgentEngine>;
}

export interface InstallOptions extends AgentOptions {
  readonly bundle: string;
  readonly trustFile?: string;
  readonly valuesFile?: string;
  /** The site's values as the hub gives them (instead of valuesFile). */
  readonly values?: SiteValuesInput;
  /** The release digest the hub's signed desired state names: any other release in the bundle is refused. */
  readonly expectDigest?: string;
  /** An age identity file, for a bundle encrypted to this site's key. */
  readonly identityFile?: string;
}

export type InstallResult = { readonly app: string; readonly from?: string; readonly to: string; readonly outcome: 'installed' | 'upgraded' | 'reconfigured' | 'unchanged' };

/** Values given to the agent, and which of them to keep hidden besides those the release declares secret. */
export interface SiteValuesInput {
  readonly values: Readonly<Record<string, unknown>>;
  readonly secret?: readonly string[];
}

/** Opens the state dir under its lock, finishes any interrupted operation, and runs `fn`. */
export async function withAgent<T>(opts: AgentOptions, fn: (sd: StateDir, engine: AgentEngine, machine: Machine) => Promise<T>): Promise<T> {
  const sd = new StateDir(opts.stateDir);
  const unlock = await sd.lock();
  let engine: AgentEngine | undefined;
  try {
    engine = await (opts.engine ?? (() => DockerEngine.connect({ signal: opts.signal })))();
    const machine = new Machine(sd, engine, { healthTimeoutMs: opts.healthTimeoutMs ?? 120_000, ...opts });
    const pending = await sd.readJournal();
    await removeLeftPartials(engine, pending?.app ?? (await sd.readState())?.app, opts);
    if (pending) {
      // Not inside `opts.log?.(…)`: an optional call skips evaluating its arguments when there is no logger.
      const done = await machine.resume(pending);
      opts.log?.(`resuming: ${done}`);
    }
    await clearStaging(sd);
    return await fn(sd, engine, machine);
  } finally {
    await engine?.close();
    await unlock();
  }
}

/** An agent killed during a chained load leaves its link images (chained-load.ts): gone before anything else loads. */
async function removeLeftPartials(engine: AgentEngine, app: string | undefined, opts: AgentOptions): Promise<void> {
  if (app === undefined) return;
  await removePartialImages(engine, app, opts.signal).catch((e: unknown) => {
    if (opts.signal?.aborted) throw e;
    opts.log?.(`could not remove the partial images a stopped install left (the next start tries again): ${errorMessage(e)}`);
  });
}

async function clearStaging(sd: StateDir): Promise<void> {
  const names = await readdir(sd.staging('')).catch(() => [] as string[]);
  for (const n of names) await rm(sd.staging(n), { recursive: true, force: true });
}

async function trustedRoot(sd: StateDir, trustFile: string | undefined): Promise<RootMeta> {
  const persisted = (await sd.readTrust())?.root;
  let pinned: RootMeta | undefined;
  if (trustFile) {
    const bytes = await readFile(trustFile).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'EISDIR')
        throw new SkiffError('USAGE', `${trustFile} is a directory; the agent pins the vendor's root.json file: pass ${join(trustFile, 'root.json')}`);
      throw new SkiffError('NOT_FOUND', fsErrorMessage(e, 'the trust root') ?? `cannot read the trust root ${trustFile}: ${errorMessage(e)}`);
    });
    pinned = parseRoot(bytes, trustFile);
    verifyRootSelfSigned(pinned);
  }
  // What the agent already trusts wins: an older or forged root.json given later cannot lower it.
  const root = persisted ?? pinned;
  if (!root) throw new SkiffError('USAGE', 'no trusted root yet: pass --trust root.json (from the vendor) on the first install');
  return root;
}

export async function install(opts: InstallOptions): Promise<InstallResult> {
  phase('install-start');
  return withAgent(opts, async (sd, engine, machine) => {
    phase('agent-ready');
    const state = await sd.readState();
    const trusted = await trustedRoot(sd, opts.trustFile);
    const highest = (await sd.readTrust())?.highestVersion;
    const given = opts.values?.values ?? (opts.valuesFile ? parseValuesYaml(await readFile(opts.valuesFile, 'utf8'), opts.valuesFile) : undefined);
    const bundleSize = (await stat(opts.bundle).catch(() => undefined))?.size;
    if (bundleSize === undefined) throw new SkiffError('NOT_FOUND', `bundle ${opts.bundle} does not exist`);
    const engineRoot = await engine.info(opts.signal).then(
      (i) => i.dockerRootDir,
      (e: unknown) => new Error(errorMessage(e)),
    );
    const identities = opts.identityFile ? await readIdentityFile(opts.identityFile) : undefined;
    phase('trust-root');

    const stagingId = randomBytes(8).toString('hex');
    // Each image goes into the engine once its own blobs are verified, while the rest of the bundle is read.
    let overlap: OverlappedImageLoad | undefined = undefined;
    const sink: StagingSink = new StagingSink(sd.store, sd.staging(stagingId), (digest) => overlap?.verified(digest));
    overlap = new OverlappedImageLoad(engine, { open: (d) => sink.open(d, opts.signal), verified: (d) => sink.verified(d) }, opts.log);
    const outcome: TrustOutcome = {};
    let journal: Journal | undefined;
    let unchanged = false;
    let snapshotBytes = 0;
    /** The installed release (the engine holds its layers: not counted in what the new images need). */
    let installed: ReleaseManifest | undefined;
    let infra: (() => Promise<void>) | undefined;
    const current = state?.current;
    try {
      const contents = await readBundle(createReadStream(opts.bundle, { highWaterMark: BUNDLE_READ_BYTES }), {
        verify: trustVerifier(trusted, outcome),
        sink,
        name: opts.bundle,
        ...(identities ? { identities } : {}),
        onProgress: opts.onProgress,
        signal: opts.signal,
        beforeBlobs: async (release, index) => {
          phase('release-verified');
          checkAgentVersion(release);
          if (state && state.app !== release.app)
            throw new SkiffError('WRONG_APP', `bundle is for ${release.app}, this agent runs ${state.app}: use the ${state.app} bundle`);
          if (opts.expectDigest !== undefined && releaseDigest(releaseBytes(release)) !== opts.expectDigest)
            throw new SkiffError('DIGEST_MISMATCH', `bundle carries ${release.app}@${release.version} with digest ${releaseDigest(releaseBytes(release)).slice(0, 19)}…, not ${opts.expectDigest.slice(0, 19)}… as the desired state says: refused`);
          if (current && semver.lt(release.version, current.version))
            throw new SkiffError('RELEASE_ROLLBACK', `bundle is ${release.app}@${release.version}, older than the installed ${current.version}: refusing a downgrade (use skiff agent rollback to return to the previous release)`);
          if (current && release.version === current.version) {
            // From the verified release itself, never from the unsigned bundle.json.
            const digest = releaseDigest(releaseBytes(release));
            if (digest !== current.digest)
              throw new SkiffError('RELEASE_EXISTS', `bundle carries a ${release.app}@${release.version} other than the installed one (${digest.slice(0, 19)}… vs ${current.digest.slice(0, 19)}…): releases are immutable, ask the vendor for a new version`);
            unchanged = true;
            throw new SkiffError('CONFLICT', 'unchanged');
          }
          // After an operator rollback, a bundle may not go below the highest release this agent committed.
          if (highest && semver.lt(release.version, highest))
            throw new SkiffError('RELEASE_ROLLBACK', `bundle is ${release.app}@${release.version}, older than ${highest}, which this agent already ran: install ${highest} or newer`);
          const bases = bundleBases(index);
          if (bases.length > 0 && !(await Promise.all(bases.map((b) => findRelease(sd.store, release.app, b.version)))).some(Boolean))
            throw new SkiffError('BASE_MISSING', `this delta bundle needs ${basesText(release.app, index)} installed first: install ${bases.length > 1 ? 'one of them' : 'that release'}, or use a full bundle`);
          const values = resolveValues(release.configSchema, given ?? current?.values ?? {});
          const project = projectOf({ release, values });
          infra = () => ensureInfra(engine, release.app, project);
          const currentRelease = current ? (await findRelease(sd.store, release.app, current.version))!.manifest : undefined;
          installed = currentRelease;
          const currentProject = current && currentRelease ? projectOf({ release: currentRelease, values: current.values }) : undefined;
          await checkPorts(project, currentProject);
          if (current && currentRelease) snapshotBytes = (await machine.plannedSnapshot({ release: currentRelease, values: current.values }, { release, values })).reduce((n, v) => n + v.bytes, 0);
          const to: Installed = { version: release.version, digest: '', values, ...secretsOf(opts.values), installedAt: new Date().toISOString() };
          journal = { op: 'install', app: release.app, phase: 'fetching', ...(current ? { from: current } : {}), to, stagingId, startedAt: to.installedAt, updatedAt: to.installedAt };
          await sd.writeJournal(journal);
        },
        // Sized from the signed manifests once they are all read, never from bundle.json's claims.
        beforeLayers: async (incoming, release) => {
          // From the signed tar sizes; if a manifest cannot be read here, the check estimates from the bundle's size.
          const manifestOf = async (d: Digest): Promise<ImageManifest> => parseImageManifest(await buffer(await sink.open(d, opts.signal)), `image manifest ${d}`);
          const imagesBytes = await engineBytes(release, installed, manifestOf).catch(() => undefined);
          await checkDisk({ stateDir: sd.dir, engineRoot, incomingBytes: incoming.bytes, ...(imagesBytes === undefined ? {} : { engineBytes: imagesBytes }), reservedBytes: snapshotBytes, warn: (line) => opts.log?.(line) });
          await overlap.plan(release);
          phase('blobs-start');
        },
      });
      phase('bundle-verified');
      overlap.readDone();
      // Everything is verified: the networks and volumes are created while the engine still loads the images.
      await Promise.all([overlap.settle(), infra?.()]);
      phase('images-loaded');
      await sink.commit();
      const saved = await saveRelease(sd.store, contents.releaseBytes, contents.sig, contents.chain);
      if (outcome.root) await sd.updateTrust({ root: outcome.root });
      if (!state) await sd.writeState({ app: saved.manifest.app, history: [] });
      journal = { ...journal!, to: { ...journal!.to, digest: saved.digest }, phase: 'verified' };
      await sd.writeJournal(journal);
      phase('stored');
    } catch (e) {
      await overlap.undo();
      await sink.discard();
      if (journal) await sd.clearJournal();
      // The installed release again: with values given, they are applied (as an upgrade is); without, nothing changes.
      if (unchanged && state?.current) return given === undefined ? unchangedResult(state.app, state.current.version) : applyValues(sd, machine, { ...state, current: state.current }, { values: given, ...secretsOf(opts.values) });
      throw e;
    }
    await machine.run(journal);
    return { app: journal.app, ...(current ? { from: current.version } : {}), to: journal.to.version, outcome: current ? ('upgraded' as const) : ('installed' as const) };
  });
}

/** A release that needs a newer agent is refused before anything changes (it may use what this agent cannot do). */
function checkAgentVersion(release: ReleaseManifest): void {
  const min = semver.valid(release.minAgentVersion);
  if (min === null) throw new SkiffError('RELEASE_INVALID', `${release.app}@${release.version} names minAgentVersion "${release.minAgentVersion}", which is not a version: ask the vendor for a corrected release`);
  if (semver.lt(AGENT_VERSION, min))
    throw new SkiffError('PREFLIGHT_FAILED', `preflight agent version: ${release.app}@${release.version} needs skiff agent ${min} or newer, this agent is ${AGENT_VERSION}: upgrade the agent first`);
}

const unchangedResult = (app: string, version: string): InstallResult => ({ app, from: version, to: version, outcome: 'unchanged' });
const secretsOf = (v: SiteValuesInput | undefined): { secrets?: string[] } => (v?.secret?.length ? { secrets: [...v.secret] } : {});

/**
 * New values for the release that runs, applied as an upgrade is: journaled, switched, health-gated, and rolled back
 * to the old values when the app does not come up healthy. Values that resolve to what runs change nothing.
 */
async function applyValues(sd: StateDir, machine: Machine, state: AgentState & { current: Installed }, given: { values: Readonly<Record<string, unknown>>; secrets?: string[] }): Promise<InstallResult> {
  const { current } = state;
  const release = (await getRelease(sd.store, state.app, current.version)).manifest;
  const values = resolveValues(release.configSchema, given.values);
  if (JSON.stringify(Object.entries(values).sort()) === JSON.stringify(Object.entries(current.values).sort())) return unchangedResult(state.app, current.version);
  await checkPorts(projectOf({ release, values }), projectOf({ release, values: current.values }));
  const now = new Date().toISOString();
  const to: Installed = { version: current.version, digest: current.digest, values, ...(given.secrets ? { secrets: given.secrets } : {}), installedAt: now };
  const journal: Journal = { op: 'reconfigure', app: state.app, phase: 'verified', from: current, to, stagingId: randomBytes(8).toString('hex'), startedAt: now, updatedAt: now };
  await sd.writeJournal(journal);
  await machine.run(journal);
  return { app: state.app, from: current.version, to: current.version, outcome: 'reconfigured' };
}

/** New values for the installed release (the hub's, for a connected site); `expectDigest` names the release they are for. */
export async function reconfigure(opts: AgentOptions & { readonly values: SiteValuesInput; readonly expectDigest?: string }): Promise<InstallResult> {
  return withAgent(opts, async (sd, _engine, machine) => {
    const state = await sd.readState();
    if (!state?.current) throw new SkiffError('STATE_INVALID', `nothing is installed in ${opts.stateDir}: install a release first`);
    if (opts.expectDigest !== undefined && opts.expectDigest !== state.current.digest)
      throw new SkiffError('DIGEST_MISMATCH', `the values are for ${state.app}@${state.current.version} with digest ${opts.expectDigest.slice(0, 19)}…, but the installed one has ${state.current.digest.slice(0, 19)}…: refused`);
    return applyValues(sd, machine, { ...state, current: state.current }, { values: opts.values.values, ...secretsOf(opts.values) });
  });
}

/** Operator rollback to the previous release the agent ran (its images are kept, so nothing is downloaded). */
export async function rollback(opts: AgentOptions): Promise<InstallResult> {
  return withAgent(opts, async (sd, _engine, machine) => {
    const state = await sd.readState();
    if (!state?.current) throw new SkiffError('STATE_INVALID', `nothing is installed in ${opts.stateDir}`);
    if (!state.previous) throw new SkiffError('STATE_INVALID', `${state.app}@${state.current.version} has no previous release to roll back to`);
    const now = new Date().toISOString();
    const journal: Journal = { op: 'rollback', app: state.app, phase: 'verified', from: state.current, to: state.previous, stagingId: randomBytes(8).toString('hex'), startedAt: now, updatedAt: now };
    await sd.writeJournal(journal);
    await machine.run(journal);
    return { app: state.app, from: state.current.version, to: state.previous.version, outcome: 'upgraded' };
  });
}

/** Finishes an interrupted operation, if any (every agent command does this first). */
export async function resume(opts: AgentOptions): Promise<void> {
  await withAgent(opts, async () => undefined);
}
