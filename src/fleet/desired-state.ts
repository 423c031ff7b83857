// What an instance should run, decided from its channel, the pins, the required releases and its windows (pure).
import { semver } from '../util/index-semver.ts';
import type { DesiredSigned } from './desired.ts';
import { underRollout, type RolloutView } from './rollout-desired.ts';
import type { ValuesVerdict } from './values.ts';
import type { MaintenanceWindow } from './windows.ts';

export interface ChannelRelease {
  readonly version: string;
  readonly digest: string;
  readonly required: boolean;
}

export interface SiteInputs {
  readonly app: string;
  readonly instance: string;
  /** The visible releases of the instance's entitled channel (none when the entitlement is gone or expired). */
  readonly channel: readonly ChannelRelease[];
  readonly current: string | null;
  readonly instancePin: string | null;
  readonly sitePin: string | null;
  readonly instanceWindows: readonly MaintenanceWindow[];
  readonly siteWindows: readonly MaintenanceWindow[];
  readonly installNow: boolean;
  /** A support bundle is requested. */
  readonly supportBundle?: boolean;
  readonly pollSeconds: number;
  /** The site's values checked against a release (none: the hub holds no opinion on values). */
  readonly values?: (release: ChannelRelease) => ValuesVerdict;
  /** The rollout that holds this instance (src/fleet/rollout-desired.ts); pins win over it. */
  readonly rollout?: RolloutView | null;
  /** The customer approves each upgrade first: a release it has not approved (nor one above it) is held back. */
  readonly approval?: { readonly required: boolean; readonly approved: readonly string[]; readonly customer: string };
}

/**
 * The release to run: the instance's pin, else the customer's, else the channel's newest; never below what runs;
 * and a required release above what runs comes first (the site steps through it).
 */
export function chooseRelease(s: Pick<SiteInputs, 'channel' | 'current' | 'instancePin' | 'sitePin' | 'rollout'>): ChannelRelease | null {
  const ruled = s.rollout && s.instancePin === null && s.sitePin === null ? underRollout(s.rollout, s.channel, s.current) : undefined;
  if (ruled?.release) return ruled.release;
  const sorted = [...(ruled?.channel ?? s.channel)].sort((a, b) => semver.compare(a.version, b.version));
  const pin = s.instancePin ?? s.sitePin;
  let target = pin === null ? sorted.at(-1) : sorted.find((r) => r.version === pin);
  if (!target) return null;
  const current = s.current;
  if (current !== null && semver.valid(current)) {
    if (semver.lt(target.version, current)) return sorted.find((r) => r.version === current) ?? null;
    const required = sorted.find((r) => r.required && semver.gt(r.version, current) && semver.lt(r.version, target!.version));
    if (required) target = required;
  }
  return target;
}

export type DesiredUnsigned = Omit<DesiredSigned, 'issued' | 'expires'>;

/**
 * The desired state without its validity period (that part the signer adds), and why the release the site would get is
 * held back: a release its values do not satisfy (a required setting missing, a value invalid) is not offered, and
 * the site stays on what it runs.
 */
export function decideDesired(s: SiteInputs): { readonly desired: DesiredUnsigned; readonly blockedReason: string | null } {
  let release = chooseRelease(s);
  let verdict = release && s.values?.(release);
  let blockedReason: string | null = null;
  const approval = s.approval;
  if (release && approval?.required && release.version !== s.current && !approval.approved.some((v) => semver.valid(v) && semver.gte(v, release!.version))) {
    blockedReason = `${s.app}@${release.version} awaits the approval of customer "${approval.customer}" (POST /api/v1/apps/${s.app}/approvals with its token, or skiff customer approve; for this instance alone POST /api/v1/instances/${s.instance}/approvals, or skiff instance approve)`;
    release = s.channel.find((r) => r.version === s.current) ?? null;
    verdict = release && s.values?.(release);
  }
  if (release && verdict && !verdict.ok) {
    blockedReason = `${s.app}@${release.version} is held back: ${verdict.reason} (at the hub: skiff values set)`;
    release = s.channel.find((r) => r.version === s.current) ?? null;
    verdict = release && s.values?.(release);
  }
  const desired: DesiredUnsigned = {
    _type: 'desired',
    app: s.app,
    instance: s.instance,
    release: release && { version: release.version, digest: release.digest },
    valuesDigest: verdict?.ok ? verdict.digest : null,
    windows: [...(s.instanceWindows.length > 0 ? s.instanceWindows : s.siteWindows)],
    installNow: s.installNow,
    ...(s.supportBundle ? { supportBundle: true as const } : {}),
    pollSeconds: s.pollSeconds,
  };
  return { desired, blockedReason };
}

export function desiredOf(s: SiteInputs): DesiredUnsigned {
  return decideDesired(s).desired;
}
