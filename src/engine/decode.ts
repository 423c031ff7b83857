// Validates the engine's JSON answers (zod) and turns them into Skiff's camelCase views.
import * as z from 'zod';
import { SkiffError } from '../util/index.ts';
import type {
  ContainerInspect,
  ContainerSummary,
  EngineInfo,
  HealthConfig,
  HealthStatus,
  ImageConfig,
  ImageInspect,
  ImageSummary,
  NetworkSummary,
  VolumeSummary,
} from './types.ts';

const strs = z.array(z.string()).nullish().transform((v) => v ?? []);
const optStrs = z.array(z.string()).nullish().transform((v) => v ?? undefined);
const labels = z.record(z.string(), z.string()).nullish().transform((v) => v ?? {});
const str = z.string().nullish().transform((v) => v ?? '');
const num = z.number().nullish().transform((v) => v ?? 0);

const healthConfig = z
  .object({
    Test: z.array(z.string()).nullish(),
    Interval: z.number().nullish(),
    Timeout: z.number().nullish(),
    Retries: z.number().nullish(),
    StartPeriod: z.number().nullish(),
  })
  .nullish()
  .transform((h): HealthConfig | undefined => {
    if (h === null || h === undefined) return undefined;
    const out: HealthConfig = {};
    if (h.Test) out.Test = h.Test;
    if (typeof h.Interval === 'number') out.Interval = h.Interval;
    if (typeof h.Timeout === 'number') out.Timeout = h.Timeout;
    if (typeof h.Retries === 'number') out.Retries = h.Retries;
    if (typeof h.StartPeriod === 'number') out.StartPeriod = h.StartPeriod;
    return out;
  });

function parse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue ? `${issue.path.join('.')}: ${issue.message}` : 'unexpected shape';
    throw new SkiffError('ENGINE_ERROR', `Docker Engine answered ${what} with an unexpected shape (${where})`);
  }
  return r.data;
}

const infoSchema = z.object({
  DockerRootDir: str,
  ServerVersion: str,
  OperatingSystem: str,
  Architecture: str,
  Driver: str,
  NCPU: num,
  MemTotal: num,
});

export function decodeInfo(data: unknown): EngineInfo {
  const d = parse(infoSchema, data, 'GET /info');
  return {
    dockerRootDir: d.DockerRootDir,
    serverVersion: d.ServerVersion,
    operatingSystem: d.OperatingSystem,
    architecture: d.Architecture,
    storageDriver: d.Driver,
    ncpu: d.NCPU,
    memTotal: d.MemTotal,
  };
}

export const versionSchema = z.object({ ApiVersion: z.string(), Version: z.string() });

const imageConfigSchema = z
  .object({
    Cmd: optStrs,
    Entrypoint: optStrs,
    Env: strs,
    Labels: labels,
    ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
    WorkingDir: str,
    User: str,
    Healthcheck: healthConfig,
  })
  .nullish();

function decodeImageConfig(c: z.output<typeof imageConfigSchema>): ImageConfig {
  return {
    cmd: c?.Cmd,
    entrypoint: c?.Entrypoint,
    env: c?.Env ?? [],
    labels: c?.Labels ?? {},
    exposedPorts: Object.keys(c?.ExposedPorts ?? {}).sort(),
    workingDir: c?.WorkingDir ?? '',
    user: c?.User ?? '',
    healthcheck: c?.Healthcheck,
  };
}

const noneRef = (r: string): boolean => r === '<none>:<none>' || r === '<none>@<none>';

const imageInspectSchema = z.object({
  Id: z.string(),
  RepoTags: strs,
  RepoDigests: strs,
  Size: num,
  Os: str,
  Architecture: str,
  Variant: z.string().nullish(),
  Created: str,
  Config: imageConfigSchema,
  RootFS: z.object({ Layers: strs }).nullish(),
});

export function decodeImageInspect(data: unknown): ImageInspect {
  const d = parse(imageInspectSchema, data, 'an image inspect');
  const out: ImageInspect = {
    id: d.Id,
    repoDigests: d.RepoDigests.filter((r) => !noneRef(r)),
    repoTags: d.RepoTags.filter((r) => !noneRef(r)),
    size: d.Size,
    rootfsLayers: d.RootFS?.Layers ?? [],
    os: d.Os,
    architecture: d.Architecture,
    created: d.Created,
    config: decodeImageConfig(d.Config),
  };
  if (d.Variant) out.variant = d.Variant;
  return out;
}

const imageSummarySchema = z.array(z.object({ Id: z.string(), RepoTags: strs, RepoDigests: strs, Labels: labels }));

export function decodeImageList(data: unknown): ImageSummary[] {
  return parse(imageSummarySchema, data, 'GET /images/json').map((i) => ({
    id: i.Id,
    repoTags: i.RepoTags.filter((r) => !noneRef(r)),
    repoDigests: i.RepoDigests.filter((r) => !noneRef(r)),
    labels: i.Labels,
  }));
}

const stripSlash = (n: string): string => (n.startsWith('/') ? n.slice(1) : n);

const containerSummarySchema = z.array(
  z.object({ Id: z.string(), Names: strs, Image: str, ImageID: str, Labels: labels, State: str, Status: str }),
);

export function decodeContainerList(data: unknown): ContainerSummary[] {
  return parse(containerSummarySchema, data, 'GET /containers/json').map((c) => ({
    id: c.Id,
    names: c.Names.map(stripSlash),
    image: c.Image,
    imageId: c.ImageID,
    labels: c.Labels,
    state: c.State,
    status: c.Status,
  }));
}

const healthStatus = z
  .string()
  .nullish()
  .transform((s): HealthStatus => (s === 'starting' || s === 'healthy' || s === 'unhealthy' ? s : 'none'));

const containerInspectSchema = z.object({
  Id: z.string(),
  Name: str,
  Image: str,
  RestartCount: num,
  State: z.object({
    Status: str,
    Running: z.boolean().nullish(),
    Restarting: z.boolean().nullish(),
    ExitCode: num,
    Error: str,
    StartedAt: str,
    FinishedAt: str,
    Health: z
      .object({
        Status: healthStatus,
        FailingStreak: num,
        Log: z.array(z.object({ ExitCode: num, Output: str })).nullish(),
      })
      .nullish(),
  }),
  Config: z.object({
    Image: str,
    Cmd: optStrs,
    Entrypoint: optStrs,
    Env: strs,
    Hostname: str,
    Labels: labels,
    Healthcheck: healthConfig,
  }),
  NetworkSettings: z
    .object({ Networks: z.record(z.string(), z.object({ Aliases: strs, IPAddress: str })).nullish() })
    .nullish(),
  Mounts: z
    .array(z.object({ Type: str, Name: z.string().nullish(), Source: str, Destination: str }))
    .nullish(),
});

export function decodeContainerInspect(data: unknown): ContainerInspect {
  const d = parse(containerInspectSchema, data, 'a container inspect');
  const networks: ContainerInspect['networks'] = {};
  for (const [name, n] of Object.entries(d.NetworkSettings?.Networks ?? {})) networks[name] = { aliases: n.Aliases, ipAddress: n.IPAddress };
  const state: ContainerInspect['state'] = {
    status: d.State.Status,
    running: d.State.Running ?? false,
    restarting: d.State.Restarting ?? false,
    exitCode: d.State.ExitCode,
    error: d.State.Error,
    startedAt: d.State.StartedAt,
    finishedAt: d.State.FinishedAt,
  };
  if (d.State.Health) {
    state.health = {
      status: d.State.Health.Status,
      failingStreak: d.State.Health.FailingStreak,
      log: (d.State.Health.Log ?? []).map((p) => ({ exitCode: p.ExitCode, output: p.Output })),
    };
  }
  return {
    id: d.Id,
    name: stripSlash(d.Name),
    image: d.Image,
    restartCount: d.RestartCount,
    state,
    labels: d.Config.Labels,
    config: {
      image: d.Config.Image,
      cmd: d.Config.Cmd,
      entrypoint: d.Config.Entrypoint,
      env: d.Config.Env,
      hostname: d.Config.Hostname,
      healthcheck: d.Config.Healthcheck,
    },
    networks,
    mounts: (d.Mounts ?? []).map((m) => ({
      type: m.Type,
      ...(m.Name ? { name: m.Name } : {}),
      source: m.Source,
      destination: m.Destination,
    })),
  };
}

const networkListSchema = z.array(z.object({ Id: z.string(), Name: z.string(), Driver: str, Labels: labels }));

export function decodeNetworkList(data: unknown): NetworkSummary[] {
  return parse(networkListSchema, data, 'GET /networks').map((n) => ({ id: n.Id, name: n.Name, driver: n.Driver, labels: n.Labels }));
}

const volumeSchema = z.object({ Name: z.string(), Driver: str, Labels: labels, Mountpoint: str });

export function decodeVolume(data: unknown): VolumeSummary {
  const v = parse(volumeSchema, data, 'a volume inspect');
  return { name: v.Name, driver: v.Driver, labels: v.Labels, mountpoint: v.Mountpoint };
}

export function decodeVolumeList(data: unknown): VolumeSummary[] {
  const d = parse(z.object({ Volumes: z.array(z.unknown()).nullish() }), data, 'GET /volumes');
  return (d.Volumes ?? []).map(decodeVolume);
}

export function decodeVolumeSizes(data: unknown): Map<string, number> {
  const item = z.object({ Name: z.string(), UsageData: z.object({ Size: z.number() }).nullish() });
  const d = parse(z.object({ Volumes: z.array(item).nullish() }), data, 'GET /system/df');
  return new Map((d.Volumes ?? []).map((v) => [v.Name, Math.max(0, v.UsageData?.Size ?? 0)]));
}

export const idSchema = z.object({ Id: z.string() });

export function decodeId(data: unknown, what: string): string {
  return parse(idSchema, data, what).Id;
}

export function decodeVersion(data: unknown): z.output<typeof versionSchema> {
  return parse(versionSchema, data, 'GET /version');
}

const waitSchema = z.object({ StatusCode: z.number(), Error: z.object({ Message: str }).nullish() });

export function decodeWait(data: unknown): number {
  const d = parse(waitSchema, data, 'a container wait');
  if (d.Error && d.Error.Message !== '') throw new SkiffError('ENGINE_ERROR', `Docker Engine: waiting for the container failed: ${d.Error.Message}`);
  return d.StatusCode;
}
