// Start order of services from depends_on (dependencies first), and the host ports a project binds.
import { SkiffError } from '../util/index.ts';
import type { ComposeProject, HostPort } from './types.ts';

export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

/** Depth-first in declaration order, so independent services keep the file's order; returns a cycle if there is one. */
export function dependencyOrder(graph: DependencyGraph): { order: string[] } | { cycle: string[] } {
  const order: string[] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (done.has(name)) return undefined;
    const at = stack.indexOf(name);
    if (at >= 0) return [...stack.slice(at), name];
    stack.push(name);
    for (const dependency of graph.get(name) ?? []) {
      const cycle = visit(dependency);
      if (cycle !== undefined) return cycle;
    }
    stack.pop();
    done.add(name);
    order.push(name);
    return undefined;
  };
  for (const name of graph.keys()) {
    const cycle = visit(name);
    if (cycle !== undefined) return { cycle };
  }
  return { order };
}

export function startOrder(project: ComposeProject): readonly string[] {
  const graph = new Map(Object.values(project.services).map((s) => [s.name, Object.keys(s.dependsOn)]));
  const result = dependencyOrder(graph);
  if ('cycle' in result) {
    throw new SkiffError('COMPOSE_INVALID', `services depend on each other in a cycle (${result.cycle.join(' → ')}): break it in depends_on`);
  }
  return result.order;
}

/** Ports published on a fixed host port; ephemeral ones (no host port) cannot clash and are left out. */
export function hostPorts(project: ComposeProject): readonly HostPort[] {
  const out: HostPort[] = [];
  for (const service of Object.values(project.services)) {
    for (const port of service.ports) {
      if (port.hostPort !== undefined) out.push({ hostIp: port.hostIp, hostPort: port.hostPort, protocol: port.protocol, service: service.name });
    }
  }
  return out;
}
