// Checks that names used across a Compose file resolve: services in depends_on, networks, volumes; no dependency cycles.
import type { DocPath, Issue } from './issues.ts';
import { dependencyOrder } from './order.ts';
import type { ComposeFile, ServiceFile } from './schema.ts';
import { parseVolumeLong, parseVolumeShort } from './volumes.ts';
import { dirInVolume, parseLogEntry, type LogFileSpec } from './log-files.ts';

/** Each name a service refers to, with the path segment where it is written. */
function namedEntries(value: readonly string[] | Readonly<Record<string, unknown>> | undefined): [string, string | number][] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map((name: string, index) => [name, index]);
  return Object.keys(value).map((name) => [name, name]);
}

export function dependencyNames(service: ServiceFile): string[] {
  return namedEntries(service.depends_on).map(([name]) => name);
}

export function networkNames(service: ServiceFile): string[] {
  return namedEntries(service.networks).map(([name]) => name);
}

const hasVariable = (value: unknown): boolean => JSON.stringify(value).includes('$');

/** Names holding a `$` are skipped: before interpolation they are not known yet. */
export function crossReferenceIssues(file: ComposeFile): Issue[] {
  const issues: Issue[] = [];
  const services = new Set(Object.keys(file.services));
  const volumes = new Set(Object.keys(file.volumes ?? {}));
  const networks = new Set(['default', ...Object.keys(file.networks ?? {})]);
  for (const [name, service] of Object.entries(file.services)) {
    const at = (...rest: (string | number)[]): DocPath => ['services', name, ...rest];
    for (const [dependency, segment] of namedEntries(service.depends_on)) {
      if (!services.has(dependency)) issues.push({ path: at('depends_on', segment), message: `names service "${dependency}", which this file does not define` });
    }
    for (const [network, segment] of namedEntries(service.networks)) {
      if (!hasVariable(network) && !networks.has(network)) {
        issues.push({ path: at('networks', segment), message: `names network "${network}", which is not declared under top-level networks` });
      }
    }
    const mode = service.network_mode;
    if (mode !== undefined && service.networks !== undefined) {
      issues.push({ path: at('network_mode'), message: 'cannot be combined with networks: keep one of them' });
    }
    if (mode?.startsWith('service:') && !hasVariable(mode) && !services.has(mode.slice('service:'.length))) {
      issues.push({ path: at('network_mode'), message: `names service "${mode.slice('service:'.length)}", which this file does not define` });
    }
    (service.volumes ?? []).forEach((spec, index) => {
      if (hasVariable(spec)) return;
      const mount = typeof spec === 'string' ? parseVolumeShort(spec) : parseVolumeLong(spec);
      if (mount.type === 'volume' && mount.source !== undefined && !volumes.has(mount.source)) {
        issues.push({ path: at('volumes', index), message: `uses volume "${mount.source}", which is not declared under top-level volumes` });
      }
    });
  }
  for (const name of Object.keys(file['x-skiff']?.volumes ?? {})) {
    if (!volumes.has(name)) issues.push({ path: ['x-skiff', 'volumes', name], message: `names volume "${name}", which is not declared under top-level volumes` });
  }
  (file['x-skiff']?.logs ?? []).forEach((entry, index) => {
    if (entry.includes('$')) return;
    const spec = parseLogEntry(entry);
    const at = ['x-skiff', 'logs', index];
    if (!volumes.has(spec.volume)) issues.push({ path: at, message: `names volume "${spec.volume}", which is not declared under top-level volumes` });
    else if (!Object.values(file.services).some((s) => (s.volumes ?? []).some((v) => mountsAt(v, spec))))
      issues.push({ path: at, message: `names ${spec.dir}, but no service mounts volume "${spec.volume}" there or above it: mount the volume at that directory` });
  });
  for (const [hook, spec] of Object.entries(file['x-skiff']?.hooks ?? {})) {
    if (spec !== undefined && !services.has(spec.service)) issues.push({ path: ['x-skiff', 'hooks', hook, 'service'], message: `names service "${spec.service}", which this file does not define` });
  }
  const graph = new Map(Object.entries(file.services).map(([name, s]) => [name, dependencyNames(s).filter((d) => services.has(d))]));
  const result = dependencyOrder(graph);
  if ('cycle' in result) {
    issues.push({ path: ['services', result.cycle[0] ?? '', 'depends_on'], message: `forms a dependency cycle (${result.cycle.join(' → ')}): break it` });
  }
  return issues;
}

function mountsAt(spec: Parameters<typeof parseVolumeLong>[0] | string, log: LogFileSpec): boolean {
  const mount = typeof spec === 'string' ? parseVolumeShort(spec) : parseVolumeLong(spec);
  return mount.type === 'volume' && mount.source === log.volume && dirInVolume(log, mount.target) !== undefined;
}
