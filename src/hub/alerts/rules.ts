// The alert rules the hub evaluates itself, the same three as deploy/prometheus/skiff-rules.yml ships for Prometheus:
// a pure function from the fleet's signals and the clock to what fires, so it is tested without a network.
import type { InstanceSignal } from '../db/types.ts';

/** The hub's rule names and the Prometheus alert each matches. */
export const ALERT_RULES = {
  'instance-unhealthy': 'SkiffInstanceUnhealthy',
  'instance-silent': 'SkiffInstanceSilent',
  'upgrade-failed': 'SkiffUpgradeFailed',
} as const;
export type AlertRule = keyof typeof ALERT_RULES;

/** An instance is silent after this long without a report (as the shipped rules file says). */
export const DEFAULT_SILENT_AFTER_MS = 15 * 60_000;

export interface Firing {
  readonly rule: AlertRule;
  readonly instanceId: string;
  readonly detail: Record<string, unknown>;
}

export const alertKey = (rule: string, instanceId: string): string => `${rule}/${instanceId}`;

/** Everything that fires now, by alertKey. */
export function evaluateRules(signals: readonly InstanceSignal[], now: Date, opts: { silentAfterMs?: number } = {}): Map<string, Firing> {
  const silentAfter = opts.silentAfterMs ?? DEFAULT_SILENT_AFTER_MS;
  const out = new Map<string, Firing>();
  const fire = (f: Firing) => out.set(alertKey(f.rule, f.instanceId), f);
  for (const i of signals) {
    if (i.health === 'unhealthy') fire({ rule: 'instance-unhealthy', instanceId: i.id, detail: { health: i.health, version: i.currentVersion } });
    const seen = i.lastSeenAt ?? i.createdAt;
    if (now.getTime() - Date.parse(seen) > silentAfter) fire({ rule: 'instance-silent', instanceId: i.id, detail: { lastSeenAt: i.lastSeenAt, silentForSeconds: Math.round((now.getTime() - Date.parse(seen)) / 1000) } });
    if (i.failedRelease) fire({ rule: 'upgrade-failed', instanceId: i.id, detail: { version: i.failedRelease.version, reason: i.failedRelease.reason, failedAt: i.failedRelease.at } });
  }
  return out;
}
