// The delivery report of an app, computed from what instances reported (no I/O): instances per version, versions
// behind their channel's head, time from a release's promotion to 50 % and 90 % of the fleet running it (or newer),
// failed upgrades with their reasons, and the same per customer; as JSON and as one CSV table.
import { semver } from '../util/index-semver.ts';

export interface AdoptionInputs {
  readonly app: string;
  /** Per channel, its releases with when each was promoted (the release time of the report). */
  readonly channels: readonly { name: string; releases: readonly { version: string; promotedAt: string }[] }[];
  /** The app's unrevoked instances: the fleet the shares are of. */
  readonly instances: readonly { id: string; name: string; customer: string; channel: string | null; currentVersion: string | null }[];
  /** Version changes the instances reported (`to` may be null), any order. */
  readonly versionEvents: readonly { instanceId: string; at: string; to: string | null }[];
  readonly failures: readonly { instanceId: string; at: string; version: string; reason: string }[];
}

export interface AdoptionMark {
  readonly at: string;
  readonly seconds: number;
}

export interface VersionAdoption {
  readonly version: string;
  readonly releasedAt: string | null;
  readonly instances: number;
  readonly adoption50: AdoptionMark | null;
  readonly adoption90: AdoptionMark | null;
}

export interface FailedUpgrade {
  readonly instanceId: string;
  readonly instance: string;
  readonly customer: string;
  readonly version: string;
  readonly at: string;
  readonly reason: string;
}

export interface CustomerAdoption {
  readonly customer: string;
  readonly instances: number;
  readonly versions: Readonly<Record<string, number>>;
  /** Instances by how many releases of their channel are newer than what they run ("none": all of them). */
  readonly behind: Readonly<Record<string, number>>;
  readonly failedUpgrades: number;
}

export interface AdoptionReport {
  readonly app: string;
  readonly instances: number;
  readonly versions: readonly VersionAdoption[];
  readonly behind: Readonly<Record<string, number>>;
  readonly failedUpgrades: readonly FailedUpgrade[];
  readonly customers: readonly CustomerAdoption[];
}

const NONE = 'none';
const inc = (m: Record<string, number>, k: string): void => void (m[k] = (m[k] ?? 0) + 1);

/** When the k-th instance (1-based) first ran `version` or newer, or null when fewer did. */
function reached(version: string, k: number, inputs: AdoptionInputs): string | null {
  const first = new Map<string, string>();
  for (const e of inputs.versionEvents) {
    if (e.to === null || !semver.valid(e.to) || semver.lt(e.to, version)) continue;
    const seen = first.get(e.instanceId);
    if (seen === undefined || e.at < seen) first.set(e.instanceId, e.at);
  }
  const live = new Set(inputs.instances.map((i) => i.id));
  const times = [...first].filter(([id]) => live.has(id)).map(([, at]) => at).sort();
  return k > 0 && times.length >= k ? (times[k - 1] ?? null) : null;
}

function mark(at: string | null, releasedAt: string | null): AdoptionMark | null {
  if (at === null || releasedAt === null) return null;
  return { at, seconds: Math.max(0, (Date.parse(at) - Date.parse(releasedAt)) / 1000) };
}

export function adoptionReport(inputs: AdoptionInputs): AdoptionReport {
  const n = inputs.instances.length;
  const releasedAt = new Map<string, string>();
  for (const c of inputs.channels) for (const r of c.releases) if (!releasedAt.has(r.version) || r.promotedAt < (releasedAt.get(r.version) ?? '')) releasedAt.set(r.version, r.promotedAt);
  const running = new Map<string, number>();
  for (const i of inputs.instances) if (i.currentVersion !== null) running.set(i.currentVersion, (running.get(i.currentVersion) ?? 0) + 1);
  const versions = [...new Set([...releasedAt.keys(), ...running.keys()])].filter((v) => semver.valid(v)).sort(semver.rcompare).map((version) => {
    const at = releasedAt.get(version) ?? null;
    return { version, releasedAt: at, instances: running.get(version) ?? 0, adoption50: mark(reached(version, Math.ceil(n * 0.5), inputs), at), adoption90: mark(reached(version, Math.ceil(n * 0.9), inputs), at) };
  });
  const channelOf = new Map(inputs.channels.map((c) => [c.name, c.releases.map((r) => r.version)]));
  const behindOf = (i: AdoptionInputs['instances'][number]): string => {
    const list = channelOf.get(i.channel ?? '') ?? [];
    if (i.currentVersion === null || !semver.valid(i.currentVersion)) return NONE;
    return String(list.filter((v) => semver.gt(v, i.currentVersion ?? v)).length);
  };
  const byId = new Map(inputs.instances.map((i) => [i.id, i]));
  const failedUpgrades = inputs.failures.flatMap((f) => {
    const i = byId.get(f.instanceId);
    return i ? [{ instanceId: i.id, instance: i.name, customer: i.customer, version: f.version, at: f.at, reason: f.reason }] : [];
  }).sort((a, b) => a.at.localeCompare(b.at));
  const behind: Record<string, number> = {};
  const customers = new Map<string, { instances: number; versions: Record<string, number>; behind: Record<string, number>; failedUpgrades: number }>();
  for (const i of inputs.instances) {
    const c = customers.get(i.customer) ?? { instances: 0, versions: {}, behind: {}, failedUpgrades: 0 };
    customers.set(i.customer, c);
    c.instances++;
    inc(c.versions, i.currentVersion ?? NONE);
    inc(c.behind, behindOf(i));
    inc(behind, behindOf(i));
  }
  for (const f of failedUpgrades) {
    const c = customers.get(f.customer);
    if (c) c.failedUpgrades++;
  }
  return {
    app: inputs.app,
    instances: n,
    versions,
    behind,
    failedUpgrades,
    customers: [...customers].sort(([a], [b]) => a.localeCompare(b)).map(([customer, c]) => ({ customer, ...c })),
  };
}

const csvField = (v: string | number | null): string => {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One row per customer and version (run there, or failed there): counts, the version's fleet-wide adoption times, the failures and their reasons. */
export function adoptionCsv(r: AdoptionReport): string {
  const head = ['customer', 'version', 'instances', 'released_at', 'adoption_50_seconds', 'adoption_90_seconds', 'failed_upgrades', 'failure_reasons'];
  const byVersion = new Map(r.versions.map((v) => [v.version, v]));
  const rows: (string | number | null)[][] = [];
  for (const c of r.customers) {
    const failed = r.failedUpgrades.filter((f) => f.customer === c.customer);
    const versions = [...new Set([...Object.keys(c.versions), ...failed.map((f) => f.version)])].sort((a, b) => (semver.valid(a) && semver.valid(b) ? semver.rcompare(a, b) : a.localeCompare(b)));
    for (const version of versions) {
      const v = byVersion.get(version);
      const fails = failed.filter((f) => f.version === version);
      rows.push([c.customer, version, c.versions[version] ?? 0, v?.releasedAt ?? null, v?.adoption50?.seconds ?? null, v?.adoption90?.seconds ?? null, fails.length, fails.map((f) => `${f.instance}: ${f.reason}`).join('; ')]);
    }
  }
  return [head, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
