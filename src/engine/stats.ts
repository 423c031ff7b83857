// One sample of a container's resource use from GET /containers/{id}/stats?stream=false: CPU as a share of one core
// (from the engine's two readings), memory in use (less the reclaimable page cache, as `docker stats` shows) and its limit.
import * as z from 'zod';
import { SkiffError } from '../util/index.ts';

export interface ContainerStats {
  /** CPU used between the engine's two readings, 1 = one core; null when the engine had no earlier reading (a stopped container). */
  readonly cpuRatio: number | null;
  readonly memoryBytes: number | null;
  readonly memoryLimitBytes: number | null;
}

const cpu = z.object({ cpu_usage: z.object({ total_usage: z.number() }).partial().optional(), system_cpu_usage: z.number().optional(), online_cpus: z.number().optional() }).partial();
const statsSchema = z.object({
  cpu_stats: cpu.optional(),
  precpu_stats: cpu.optional(),
  memory_stats: z.object({ usage: z.number().optional(), limit: z.number().optional(), stats: z.record(z.string(), z.number()).optional() }).partial().optional(),
});

export function decodeContainerStats(data: unknown): ContainerStats {
  const r = statsSchema.safeParse(data);
  if (!r.success) throw new SkiffError('ENGINE_ERROR', `Docker Engine answered container stats with an unexpected shape (${r.error.issues[0]?.path.join('.') ?? '?'})`);
  const { cpu_stats: now, precpu_stats: before, memory_stats: mem } = r.data;
  const used = (now?.cpu_usage?.total_usage ?? 0) - (before?.cpu_usage?.total_usage ?? 0);
  const system = (now?.system_cpu_usage ?? 0) - (before?.system_cpu_usage ?? 0);
  const cpuRatio = before?.system_cpu_usage && system > 0 ? Math.max(0, used / system) * (now?.online_cpus ?? 1) : null;
  // cgroup v2 reports inactive_file, v1 total_inactive_file: the cache the kernel can take back is not "used".
  const cache = mem?.stats?.['inactive_file'] ?? mem?.stats?.['total_inactive_file'] ?? 0;
  const memoryBytes = mem?.usage === undefined ? null : Math.max(0, mem.usage - cache);
  return { cpuRatio, memoryBytes, memoryLimitBytes: mem?.limit ?? null };
}
