// Switches the app's containers to a release: networks and volumes first, then each service in dependency
// order (new container created before the old one stops, so downtime is stop + start), then the health gate.
import { randomBytes } from 'node:crypto';
import { normalizeCompose, startOrder, type ComposeProject } from '../compose/index.ts';
import { waitHealthy, type DockerEngine, type ContainerSummary } from '../engine/index.ts';
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

export async function ownedContainers(engine: DockerEngine, app: string): Promise<ContainerSummary[]> {
  return engine.containerList({ label: [`${Label.app}=${app}`] });
}

async function ensureInfra(engine: DockerEngine, app: string, project: ComposeProject): Promise<void> {
  const labels = (kind: string, name: string) => ({ [Label.composeProject]: app, [`com.docker.compose.${kind}`]: name, [Label.app]: app });
  const networks = new Set((await engine.networkList()).map((n) => n.name));
  for (const n of project.networks) {
    if (!networks.has(networkName(app, n))) await engine.networkCreate(networkName(app, n), labels('network', n));
  }
  for (const v of project.volumes) {
    if (!(await engine.volumeInspect(volumeName(app, v)))) await engine.volumeCreate(volumeName(app, v), labels('volume', v));
  }
}

async function removeContainer(engine: DockerEngine, id: string, stopTimeoutSec: number): Promise<void> {
  await engine.containerStop(id, stopTimeoutSec);
  await engine.containerRemove(id, { force: true });
}

export async function deploy(engine: DockerEngine, d: Deployment, opts: DeployOptions): Promise<DeployResult> {
  const app = d.release.app;
  const project = projectOf(d);
  await ensureInfra(engine, app, project);
  const order = startOrder(project);
  const before = await ownedContainers(engine, app);
  const stopSec = opts.stopTimeoutSec ?? 10;
  const created = new Map<string, string>();

  for (const name of order) {
    const svc = project.services[name]!;
    for (const [dep, { condition }] of Object.entries(svc.dependsOn)) {
      const depId = created.get(dep);
      if (!depId || condition !== 'service_healthy') continue;
      const h = await waitHealthy(engine, depId, { timeoutMs: healthBudgetMs(project.services[dep]!, opts.healthTimeoutMs), signal: opts.signal });
      if (!h.ok) return { ok: false, service: dep, reason: h.reason };
    }
    const final = containerName(app, name);
    const suffix = randomBytes(3).toString('hex');
    const id = await engine.containerCreate(`${final}-next-${suffix}`, containerBody(app, d.release, project, svc));
    for (const n of extraNetworks(app, svc)) await engine.networkConnect(n, id, [name]);
    // Downtime is only stop + start: the old container is renamed out of the way and removed after.
    const old = before.filter((c) => c.labels[Label.service] === name || c.names.includes(final));
    for (const o of old) {
      await engine.containerStop(o.id, stopSec);
      if (o.names.includes(final)) await engine.containerRename(o.id, `${final}-old-${suffix}`);
    }
    await engine.containerRename(id, final);
    await engine.containerStart(id);
    for (const o of old) await engine.containerRemove(o.id, { force: true });
    created.set(name, id);
  }
  for (const gone of before.filter((c) => !order.includes(c.labels[Label.service] ?? ''))) await removeContainer(engine, gone.id, stopSec);

  for (const name of order) {
    const h = await waitHealthy(engine, created.get(name)!, { timeoutMs: healthBudgetMs(project.services[name]!, opts.healthTimeoutMs), signal: opts.signal });
    if (!h.ok) return { ok: false, service: name, reason: h.reason };
  }
  return { ok: true };
}

/** Stops and removes every container the agent owns for `app` (a first install that did not come up). */
export async function undeploy(engine: DockerEngine, app: string, stopTimeoutSec = 10): Promise<void> {
  for (const c of await ownedContainers(engine, app)) await removeContainer(engine, c.id, stopTimeoutSec);
}
