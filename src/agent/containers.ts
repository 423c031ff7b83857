// Turns a normalised Compose service into the Engine API's container body, with Compose's own naming
// (project = app, `<app>_<network>`, `<app>_<volume>`, `<app>-<service>-1`) and Skiff's ownership labels.
import { createHash } from 'node:crypto';
import type { ComposeProject, ServiceSpec } from '../compose/index.ts';
import type { ContainerCreateBody, MountSpec, PortBinding as EnginePortBinding } from '../engine/index.ts';
import { Label } from '../oci/index.ts';
import type { ReleaseManifest } from '../release/index.ts';
import { canonicalJson } from '../trust/index.ts';
import { SkiffError } from '../util/index.ts';

export const containerName = (app: string, service: string): string => `${app}-${service}-1`;
export const networkName = (app: string, network: string): string => `${app}_${network}`;
export const volumeName = (app: string, volume: string): string => `${app}_${volume}`;
/** The tag that keeps a release's image in the engine (and out of `docker image prune`). */
export const imageRepo = (app: string, service: string): string => `skiff/${app}/${service}`;

const RESTART = new Set(['no', 'always', 'unless-stopped', 'on-failure']);

export function ownershipLabels(app: string, releaseVersion: string, service: string): Record<string, string> {
  return {
    [Label.app]: app,
    [Label.release]: releaseVersion,
    [Label.service]: service,
    [Label.composeProject]: app,
    [Label.composeService]: service,
    'com.docker.compose.container-number': '1',
    'com.docker.compose.oneoff': 'False',
  };
}

/** The container body with its config hash label: what an unchanged service keeps running across releases. */
export function containerBody(app: string, release: ReleaseManifest, project: ComposeProject, svc: ServiceSpec): ContainerCreateBody {
  const body = bareBody(app, release, project, svc);
  return { ...body, Labels: { ...body.Labels, [Label.configHash]: configHash(body, extraNetworks(app, svc)) } };
}

/** Compose's idea: everything the engine is told about a service (image by id, command, environment with values, mounts, ports, networks, labels…) except the release that told it. */
export function configHash(body: ContainerCreateBody, networks: readonly string[]): string {
  const { [Label.release]: _release, [Label.configHash]: _hash, ...labels } = body.Labels ?? {};
  return createHash('sha256').update(canonicalJson({ ...body, Labels: labels, extraNetworks: [...networks] })).digest('hex');
}

function bareBody(app: string, release: ReleaseManifest, project: ComposeProject, svc: ServiceSpec): ContainerCreateBody {
  const image = release.images[svc.name];
  if (!image) throw new SkiffError('RELEASE_INVALID', `release ${release.app}@${release.version} has no image for service ${svc.name}`);
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, EnginePortBinding[]> = {};
  for (const p of svc.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort === undefined ? '' : String(p.hostPort) });
  }
  const mounts: MountSpec[] = svc.volumes.map((v) => ({
    Type: v.type,
    ...(v.source !== undefined ? { Source: v.type === 'volume' ? volumeName(app, v.source) : v.source } : {}),
    Target: v.target,
    ReadOnly: v.readOnly,
  }));
  const networks = svc.networkMode ? [] : svc.networks.length > 0 ? svc.networks : ['default'];
  const first = networks[0];
  const hc = svc.healthcheck;
  const restart = svc.restart?.split(':')[0] ?? 'no';
  return {
    Image: `sha256:${image.configDigest.slice(7)}`,
    ...(svc.command ? { Cmd: [...svc.command] } : {}),
    ...(svc.entrypoint ? { Entrypoint: [...svc.entrypoint] } : {}),
    Env: Object.entries(svc.environment).map(([k, v]) => `${k}=${v}`),
    Labels: { ...svc.labels, ...ownershipLabels(app, release.version, svc.name) },
    ...(svc.user ? { User: svc.user } : {}),
    ...(svc.workingDir ? { WorkingDir: svc.workingDir } : {}),
    ...(hc
      ? {
          Healthcheck: {
            Test: [...hc.test],
            ...(hc.intervalNs !== undefined ? { Interval: hc.intervalNs } : {}),
            ...(hc.timeoutNs !== undefined ? { Timeout: hc.timeoutNs } : {}),
            ...(hc.retries !== undefined ? { Retries: hc.retries } : {}),
            ...(hc.startPeriodNs !== undefined ? { StartPeriod: hc.startPeriodNs } : {}),
          },
        }
      : {}),
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      Mounts: mounts,
      RestartPolicy: { Name: RESTART.has(restart) ? (restart as 'no') : 'no' },
      NetworkMode: svc.networkMode ?? networkName(app, first ?? 'default'),
      CapAdd: [...svc.capAdd],
      ...(svc.logging?.driver ? { LogConfig: { Type: svc.logging.driver, Config: { ...(svc.logging.options ?? {}) } } } : {}),
    },
    ...(first ? { NetworkingConfig: { EndpointsConfig: { [networkName(app, first)]: { Aliases: [svc.name] } } } } : {}),
  };
}

/** Networks of a service beyond the first, to connect after create. */
export function extraNetworks(app: string, svc: ServiceSpec): string[] {
  if (svc.networkMode) return [];
  return svc.networks.slice(1).map((n) => networkName(app, n));
}

/** Upper bound for a service to become healthy: its own healthcheck timing, or `fallbackMs` without one. */
export function healthBudgetMs(svc: ServiceSpec, fallbackMs: number): number {
  const hc = svc.healthcheck;
  if (!hc || hc.test[0] === 'NONE') return Math.min(fallbackMs, 5000);
  const ms = (ns: number | undefined, def: number) => (ns ?? def * 1e6) / 1e6;
  const interval = ms(hc.intervalNs, 30000);
  const timeout = ms(hc.timeoutNs, 30000);
  return Math.min(fallbackMs, ms(hc.startPeriodNs, 0) + (interval + timeout) * ((hc.retries ?? 3) + 1) + 2000);
}
