// Turns a validated, interpolated Compose service into the typed ServiceSpec the agent applies.
import { parseDuration } from './duration.ts';
import { parsePortLong, parsePortShort } from './ports.ts';
import { dependencyNames, networkNames } from './references.ts';
import type { ServiceFile } from './schema.ts';
import { splitShellWords } from './shell-words.ts';
import type { DependencyCondition, HealthCheck, ServiceSpec } from './types.ts';
import { parseVolumeLong, parseVolumeShort } from './volumes.ts';

type Scalar = string | number | boolean;

/** Drops keys whose value is undefined, so specs compare and serialise cleanly. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Compose's two spellings of a string map: `{ K: v }` or `['K=v']`. */
function stringMap(value: Readonly<Record<string, Scalar>> | readonly string[] | undefined): Record<string, string> {
  if (value === undefined) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((item: string) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

const words = (value: string | readonly string[] | undefined): readonly string[] | undefined =>
  typeof value === 'string' ? splitShellWords(value) : value;

const nanos = (value: string | undefined): number | undefined => (value === undefined ? undefined : parseDuration(value));

function healthCheck(spec: NonNullable<ServiceFile['healthcheck']>): HealthCheck {
  let test: readonly string[] = [];
  if (spec.disable === true) test = ['NONE'];
  else if (typeof spec.test === 'string') test = ['CMD-SHELL', spec.test];
  else if (spec.test !== undefined) test = spec.test;
  return compact({
    test,
    intervalNs: nanos(spec.interval),
    timeoutNs: nanos(spec.timeout),
    retries: spec.retries === undefined ? undefined : Number(spec.retries),
    startPeriodNs: nanos(spec.start_period),
    startIntervalNs: nanos(spec.start_interval),
  });
}

function dependsOn(service: ServiceFile): Record<string, { condition: DependencyCondition; restart?: boolean }> {
  const spec = service.depends_on;
  if (spec === undefined || Array.isArray(spec)) {
    return Object.fromEntries(dependencyNames(service).map((name) => [name, { condition: 'service_started' as const }]));
  }
  return Object.fromEntries(Object.entries(spec).map(([name, d]) => [name, { condition: d.condition ?? 'service_started', ...(d.restart ? { restart: true } : {}) }]));
}

export function toServiceSpec(name: string, s: ServiceFile): ServiceSpec {
  const networks = networkNames(s);
  return compact({
    name,
    image: s.image,
    command: words(s.command),
    entrypoint: words(s.entrypoint),
    environment: stringMap(s.environment),
    ports: (s.ports ?? []).flatMap((p) => (typeof p === 'object' ? parsePortLong(p) : parsePortShort(p))),
    volumes: (s.volumes ?? []).map((v) => (typeof v === 'string' ? parseVolumeShort(v) : parseVolumeLong(v))),
    networks: networks.length === 0 && s.network_mode === undefined ? ['default'] : networks,
    networkMode: s.network_mode,
    healthcheck: s.healthcheck === undefined ? undefined : healthCheck(s.healthcheck),
    dependsOn: dependsOn(s),
    restart: s.restart,
    labels: stringMap(s.labels),
    user: s.user === undefined ? undefined : String(s.user),
    workingDir: s.working_dir,
    capAdd: s.cap_add ?? [],
    logging: s.logging === undefined ? undefined : compact({ driver: s.logging.driver, options: s.logging.options === undefined ? undefined : stringMap(s.logging.options) }),
  });
}
