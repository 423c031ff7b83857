// A rollout's plan (groups, thresholds, soak, gates, window, retries), its validation, and the stable order of
// instances into groups: canary instances first, then every other by sha256(rollout id + ":" + instance id), so the
// order never changes while the rollout runs and each group is spread across customers.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { MaintenanceWindowSchema } from './windows.ts';

const Share = z.number().min(0).max(1);

export const GroupSpecSchema = z.union([
  z.object({ count: z.int().min(1).max(1_000_000) }).strict(),
  z.object({ percent: z.number().gt(0).max(100) }).strict(),
]);
export type GroupSpec = z.infer<typeof GroupSpecSchema>;

export const RolloutPlanSchema = z
  .object({
    /** Groups after the canary, in order; the last one also takes every instance the others leave (and late enrollers). */
    groups: z.array(GroupSpecSchema).min(1).max(100),
    /** Share of a group committed before the next group may start (1: all of it). */
    successThreshold: Share.default(1),
    /** Share of a group allowed to fail; one failure more pauses the rollout (0: the first failure pauses it). */
    errorThreshold: Share.default(0),
    /** Wait this long after a group met its success threshold before starting the next. */
    soakSeconds: z.int().min(0).max(30 * 86_400).default(0),
    /** Group numbers (1 is the canary when there is one, else the first) after which a person resumes the rollout. */
    gates: z.array(z.int().min(1).max(101)).max(100).default([]),
    /** Groups start (and retries run) only while one of these is open; empty: any time. Sites' own windows still apply. */
    windows: z.array(MaintenanceWindowSchema).max(64).default([]),
    /** A failed instance is told to try again this many times, after backoffSeconds × 2^(try − 1). */
    retries: z.int().min(0).max(10).default(0),
    backoffSeconds: z.int().min(1).max(86_400).default(60),
  })
  .strict();
export type RolloutPlan = z.infer<typeof RolloutPlanSchema>;

/** The position of an instance in a rollout's order (lower first). */
export function orderKey(rolloutId: string, instanceId: string): string {
  return createHash('sha256').update(`${rolloutId}:${instanceId}`).digest('hex');
}

/** Instance ids in the rollout's order: canary ids first (in the order given), then the rest by orderKey. */
export function orderInstances(rolloutId: string, instanceIds: readonly string[], canary: readonly string[] = []): string[] {
  const first = new Set(canary);
  const rest = instanceIds.filter((id) => !first.has(id)).map((id) => ({ id, key: orderKey(rolloutId, id) }));
  rest.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return [...canary.filter((id) => instanceIds.includes(id)), ...rest.map((r) => r.id)];
}

/**
 * Group sizes for `total` instances: the canary group (when there is one) has `canary` instances, then each spec takes
 * its count or its percentage of the rest (rounded down along the running sum of percentages, so they never drift), and the
 * last group takes what remains. Groups may be empty when the fleet is small.
 */
export function groupSizes(total: number, specs: readonly GroupSpec[], canary = 0): number[] {
  const sizes: number[] = canary > 0 ? [Math.min(canary, total)] : [];
  const rest = total - (sizes[0] ?? 0);
  let given = 0;
  let percent = 0;
  specs.forEach((s, i) => {
    let n: number;
    if (i === specs.length - 1) n = rest - given;
    else if ('count' in s) n = Math.min(s.count, rest - given);
    else {
      const before = Math.floor((percent * rest) / 100);
      percent += s.percent;
      n = Math.min(rest - given, Math.floor((percent * rest) / 100) - before);
    }
    sizes.push(n);
    given += n;
  });
  return sizes;
}

/** Splits ordered ids into groups of the given sizes; groups are numbered from 1. */
export function assignGroups(ordered: readonly string[], sizes: readonly number[]): { group: number; ids: string[] }[] {
  let at = 0;
  return sizes.map((n, group) => {
    const ids = ordered.slice(at, at + n);
    at += n;
    return { group: group + 1, ids };
  });
}

/** Committed instances a group of `size` needs before the next may start. */
export const successCount = (size: number, share: number): number => Math.ceil(size * share - 1e-9);

/** Failures a group of `size` tolerates; one more pauses the rollout. */
export const toleratedFailures = (size: number, share: number): number => Math.floor(size * share + 1e-9);

/** The delay before retry number `n` (1-based) of a failed instance. */
export const retryDelayMs = (plan: Pick<RolloutPlan, 'backoffSeconds'>, n: number): number => plan.backoffSeconds * 1000 * 2 ** Math.max(0, n - 1);
