// The rollout scheduler as a pure function: from a rollout, its groups' progress, its failed instances and the clock
// to the actions the hub takes (start a group, pause with a reason, finish, retry an instance). No I/O, so every
// threshold is tested at its exact count without a network; the hub applies the actions under its lease.
import { retryDelayMs, successCount, toleratedFailures, type RolloutPlan } from './rollout-plan.ts';
import { windowOpen, type MaintenanceWindow } from './windows.ts';

export const ROLLOUT_STATES = ['running', 'paused', 'cancelled', 'finished'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export interface GroupProgress {
  /** Numbered from 1, in start order. */
  readonly group: number;
  /** Instances in the group now (late enrollers grow the last one). */
  readonly size: number;
  readonly committed: number;
  /** Failed with no retry left; each instance counts once however often it was tried. */
  readonly failed: number;
  readonly startedAt: string | null;
  /** When it first met its success threshold (the soak runs from here). */
  readonly succeededAt: string | null;
  /** A person resumed the rollout past this group's gate. */
  readonly approved: boolean;
}

/** An instance whose last try failed and which has a retry left. */
export interface RetryCandidate {
  readonly instanceId: string;
  readonly retriesUsed: number;
  readonly failedAt: string;
  /** The site's maintenance windows (the instance's own, else its customer's); empty: any time. */
  readonly windows: readonly MaintenanceWindow[];
}

export interface SchedulerInput {
  readonly state: RolloutState;
  readonly plan: RolloutPlan;
  /** In group order. */
  readonly groups: readonly GroupProgress[];
  readonly retryCandidates: readonly RetryCandidate[];
  readonly now: Date;
}

export type RolloutAction =
  | { readonly kind: 'group-succeeded'; readonly group: number }
  | { readonly kind: 'start-group'; readonly group: number }
  | { readonly kind: 'pause'; readonly reason: string }
  | { readonly kind: 'finish' }
  | { readonly kind: 'retry'; readonly instanceId: string; readonly dueAt: string };

const percent = (share: number): string => `${Math.round(share * 1000) / 10}%`;

/** Why the rollout must pause for errors (the first group over its error threshold), or null. */
export function errorPause(plan: RolloutPlan, groups: readonly GroupProgress[]): string | null {
  for (const g of groups) {
    if (g.startedAt === null) continue;
    const tolerated = toleratedFailures(g.size, plan.errorThreshold);
    if (g.failed > tolerated)
      return `group ${g.group}: ${g.failed} of ${g.size} instances failed, over the error threshold of ${percent(plan.errorThreshold)} (${tolerated} tolerated); fix the release or the sites, then skiff rollout retry and resume`;
  }
  return null;
}

/**
 * The actions due now. Only a running rollout acts. Errors come first: any started group with more failures than it
 * tolerates pauses the whole rollout. Otherwise groups are walked in order: a group meets its success threshold
 * (recorded once), the next starts after the soak — unless a gate waits for a person (the rollout pauses with that
 * reason) or the rollout's window is closed — and when the last group has met its threshold the rollout finishes.
 * Failed instances with retries left are retried once their back-off has passed, while the rollout's window and the
 * site's own are open: a retry is told as "install now", which the agent applies outside its windows, so the site's
 * windows are checked here, where the retry is decided.
 */
export function scheduleRollout(input: SchedulerInput): RolloutAction[] {
  const { plan, groups, now } = input;
  if (input.state !== 'running' || groups.length === 0) return [];
  const paused = errorPause(plan, groups);
  if (paused !== null) return [{ kind: 'pause', reason: paused }];
  const open = plan.windows.length === 0 || windowOpen(plan.windows, now);
  const actions: RolloutAction[] = [];
  for (const [i, g] of groups.entries()) {
    if (g.startedAt === null) {
      if (!open) break;
      actions.push({ kind: 'start-group', group: g.group });
    }
    let succeededAt = g.succeededAt === null ? null : Date.parse(g.succeededAt);
    if (succeededAt === null) {
      if (g.committed < successCount(g.size, plan.successThreshold)) break;
      succeededAt = now.getTime();
      actions.push({ kind: 'group-succeeded', group: g.group });
    }
    if (i === groups.length - 1) {
      actions.push({ kind: 'finish' });
      break;
    }
    if (plan.gates.includes(g.group) && !g.approved) {
      actions.push({ kind: 'pause', reason: `group ${g.group} is done and gated: check it, then skiff rollout resume to start group ${g.group + 1}` });
      break;
    }
    if (now.getTime() < succeededAt + plan.soakSeconds * 1000) break;
  }
  if (open)
    for (const c of input.retryCandidates) {
      if (c.retriesUsed >= plan.retries || (c.windows.length > 0 && !windowOpen(c.windows, now))) continue;
      const due = Date.parse(c.failedAt) + retryDelayMs(plan, c.retriesUsed + 1);
      if (due <= now.getTime()) actions.push({ kind: 'retry', instanceId: c.instanceId, dueAt: new Date(due).toISOString() });
    }
  return actions;
}
