// Switches the app's containers to a release: networks and volumes first, then each service in dependency
// order (kept when its spec is unchanged; else a new container created before the old one stops, so downtime is
// stop + start), then the health gate.
import { randomBytes } from 'node:crypto';
import { normalizeCompose, startOrder, type ComposeProject } from '../compose/index.ts';
import { waitHealthy, type AgentEngine, type ContainerSummary } from '../engine/index.ts';
import { Label } from '../oci/index.ts';
import type { ReleaseManifest } from '../release/index.ts';
import { containerBody, containerName, extraNetworks, healthBudgetMs, networkName, volumeName } from './containers.ts';

export interface Deployment {
  readonly release: ReleaseManifest;
  readonly values: Readonly<Record<string, string>>;
}

export type DeployResult = { ok: true } | { ok: false; service: string; reason: string };

export interface DeployOptions {
  readonly healthTimeoutMs: number;
  readonly stopTimeoutSec?: number;
  readonly signal?: AbortSignal;
}

export function projectOf(d: Deployment): ComposeProject {
  return normalizeCompose(d.release.compose, d.values);
}

/** Each service's config hash under a deployment: what its container carries when it runs that spec. */
export function specHashes(d: Deployment): Map<string, string> {
  const project = projectOf(d);
  return new Map(Object.values(project.services).map((svc) => [svc.name, containerBody(d.release.app, d.release, project, svc).Labels?.[Label.configHash] ?? '']));
}

export async function ownedContainers(engine: AgentEngine, app: string): Promise<ContainerSummary[]> {
  return engine.containerList({ label: [`${Label.app}=${app}`] });
}

/** The release's networks and volumes (an install creates them while its images load: they need no image). */
export async function ensureInfra(engine: AgentEngine, app: string, project: ComposeProject): Promise<void> {
  const labels = (kind: string, name: string) => ({ [Label.composeProject]: app, [`com.docker.compose.${kind}`]: name, [Label.app]: app });
  const networks = new Set((await engine.networkList()).map((n) => n.name));
  for (const n of project.networks) {
    if (!networks.has(networkName(app, n))) await engine.networkCreate(networkName(app, n), labels('network', n));
  }
  for (const v of project.volumes) {
    if (!(await engine.volumeInspect(volumeName(app, v)))) await engine.volumeCreate(volumeName(app, v), labels('volume', v));
  }
}

async function removeContainer(engine: AgentEngine, id: string, stopTimeoutSec: number): Promise<void> {
  await engine.containerStop(id, stopTimeoutSec);
  await engine.containerRemove(id, { force: true });
}

/** A step of one service's swap, reported (and journaled by the state machine) as it is taken. */
export type SwapStep = 'kept' | 'restarted' | 'created' | 'stopped' | 'renamed' | 'started' | 'removed';

export interface SwitchOptions extends DeployOptions {
  readonly onStep?: (service: string, step: SwapStep) => Promise<void>;
}

const isHookContainer = (c: ContainerSummary): boolean => c.labels[Label.hook] !== undefined;

/**
 * Puts every service of the release in place, in dependency order. A service whose container already runs this
 * spec (same config hash) is kept; others get a new container, created before the old one stops, so downtime is
 * stop + start. Leftovers of an interrupted swap (`-next-`, `-old-`) and hook containers are removed first.
 * Returns each service's container id, or the dependency that did not become healthy.
 */
export async function switchServices(engine: AgentEngine, d: Deployment, opts: SwitchOptions): Promise<{ ok: true; ids: Map<string, string> } | Extract<DeployResult, { ok: false }>> {
  const app = d.release.app;
  const project = projectOf(d);
  await ensureInfra(engine, app, project);
  const order = startOrder(project);
  const stopSec = opts.stopTimeoutSec ?? 10;
  const step = async (service: string, s: SwapStep): Promise<void> => opts.onStep?.(service, s);
  let before = await ownedContainers(engine, app);
  for (const c of before.filter(isHookContainer)) await engine.containerRemove(c.id, { force: true });
  before = before.filter((c) => !isHookContainer(c));
  const ids = new Map<string, string>();
  /** Services whose container this deploy creates anew. */
  const replaced = new Set<string>();

  for (const name of order) {
    const svc = project.services[name]!;
    for (const [dep, { condition }] of Object.entries(svc.dependsOn)) {
      const depId = ids.get(dep);
      if (!depId || condition !== 'service_healthy') continue;
      const h = await waitHealthy(engine, depId, { timeoutMs: healthBudgetMs(project.services[dep]!, opts.healthTimeoutMs), signal: opts.signal });
      if (!h.ok) return { ok: false, service: dep, reason: h.reason };
    }
    const final = containerName(app, name);
    const mine = before.filter((c) => c.labels[Label.service] === name || c.names.includes(final));
    for (const stray of mine.filter((c) => !c.names.includes(final))) await engine.containerRemove(stray.id, { force: true });
    const current = mine.find((c) => c.names.includes(final));
    const body = containerBody(app, d.release, project, svc);
    if (current && current.labels[Label.configHash] === body.Labels?.[Label.configHash]) {
      // Compose's depends_on.<service>.restart: a dependency that was recreated restarts this one in place.
      const follows = Object.entries(svc.dependsOn).some(([dep, d]) => d.restart === true && replaced.has(dep));
      if (follows && current.state === 'running') await engine.containerStop(current.id, stopSec);
      if (follows || current.state !== 'running') await engine.containerStart(current.id);
      await step(name, follows || current.state !== 'running' ? 'restarted' : 'kept');
      ids.set(name, current.id);
      continue;
    }
    replaced.add(name);
    const suffix = randomBytes(3).toString('hex');
    // With no container to replace, the final name at once (a leftover of an interrupted first install is removed by label).
    const id = await engine.containerCreate(current ? `${final}-next-${suffix}` : final, body);
    for (const n of extraNetworks(app, svc)) await engine.networkConnect(n, id, [name]);
    await step(name, 'created');
    // Downtime is only stop + start: the old container is renamed out of the way and removed after.
    if (current) {
      await engine.containerStop(current.id, stopSec);
      await step(name, 'stopped');
      await engine.containerRename(current.id, `${final}-old-${suffix}`);
      await step(name, 'renamed');
    }
    if (current) await engine.containerRename(id, final);
    await engine.containerStart(id);
    await step(name, 'started');
    if (current) {
      await engine.containerRemove(current.id, { force: true });
      await step(name, 'removed');
    }
    ids.set(name, id);
  }
  for (const gone of before.filter((c) => !order.includes(c.labels[Label.service] ?? ''))) await removeContainer(engine, gone.id, stopSec);
  return { ok: true, ids };
}

/** The health gate: every service healthy (or running, without a healthcheck) within its budget. */
export async function waitServicesHealthy(engine: AgentEngine, d: Deployment, ids: ReadonlyMap<string, string>, opts: DeployOptions): Promise<DeployResult> {
  const project = projectOf(d);
  for (const name of startOrder(project)) {
    const id = ids.get(name) ?? containerName(d.release.app, name);
    const h = await waitHealthy(engine, id, { timeoutMs: healthBudgetMs(project.services[name]!, opts.healthTimeoutMs), signal: opts.signal });
    if (!h.ok) return { ok: false, service: name, reason: h.reason };
  }
  return { ok: true };
}

export async function deploy(engine: AgentEngine, d: Deployment, opts: SwitchOptions): Promise<DeployResult> {
  const switched = await switchServices(engine, d, opts);
  if (!switched.ok) return switched;
  return waitServicesHealthy(engine, d, switched.ids, opts);
}

/** Stops and removes every container the agent owns for `app` (a first install that did not come up). */
export async function undeploy(engine: AgentEngine, app: string, stopTimeoutSec = 10): Promise<void> {
  for (const c of await ownedContainers(engine, app)) await removeContainer(engine, c.id, stopTimeoutSec);
}
