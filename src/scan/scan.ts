// Matches an SBOM's packages against an OSV database: which advisories affect which installed version, how severe,
// and the version that fixes it. Debian advisories name source packages, so a binary package matches by its source too.
import type { SbomPackage } from '../sbom/index.ts';
import type { OsvAffected, OsvDatabase, OsvRecord } from './osv-db.ts';
import { normalName } from './osv-db.ts';
import { severityOf, severityRank, type FindingSeverity } from './severity.ts';
import { comparatorFor } from './versions.ts';

export interface Finding {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  readonly severity: FindingSeverity;
  readonly package: { readonly name: string; readonly version: string; readonly ecosystem: string; readonly purl: string };
  readonly services: readonly string[];
  /** The first version that fixes it, when the advisory names one. */
  readonly fixed?: string;
}

type Compare = (a: string, b: string) => number;

/** OSV's range evaluation: events in version order, introduced opens, fixed closes, last_affected closes after itself. */
function inRange(version: string, events: NonNullable<OsvAffected['ranges']>[number]['events'], cmp: Compare): { hit: boolean; fixed?: string } {
  const at = (e: (typeof events)[number]) => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '0';
  const sorted = [...events].sort((a, b) => (at(a) === '0' ? -1 : at(b) === '0' ? 1 : cmp(at(a), at(b))));
  let hit = false;
  for (const e of sorted) {
    if (e.introduced !== undefined && (e.introduced === '0' || cmp(version, e.introduced) >= 0)) hit = true;
    if (e.fixed !== undefined && cmp(version, e.fixed) >= 0) hit = false;
    if (e.last_affected !== undefined && cmp(version, e.last_affected) > 0) hit = false;
  }
  const fixed = hit ? sorted.find((e) => e.fixed !== undefined && cmp(e.fixed, version) > 0)?.fixed : undefined;
  return fixed ? { hit, fixed } : { hit };
}

/** Whether `affected` names this package's ecosystem: the same base, and the same release when both name one (Debian:12). */
function sameEcosystem(ours: string, theirs: string): boolean {
  const [a, av] = ours.split(':');
  const [b, bv] = theirs.split(':');
  return a === b && (av === undefined || bv === undefined || av === bv);
}

function affects(pkg: SbomPackage, names: readonly string[], versionOf: (name: string) => string, a: OsvAffected): { hit: boolean; fixed?: string } {
  if (!a.package || !sameEcosystem(pkg.ecosystem, a.package.ecosystem)) return { hit: false };
  const name = names.find((n) => normalName(pkg.ecosystem, n) === normalName(pkg.ecosystem, a.package?.name ?? ''));
  if (name === undefined) return { hit: false };
  const version = versionOf(name);
  const cmp = comparatorFor(pkg.ecosystem);
  const ranges = (a.ranges ?? []).filter((r) => r.type === 'ECOSYSTEM' || r.type === 'SEMVER');
  for (const r of ranges) {
    const res = inRange(version, r.events, cmp);
    if (res.hit) return res;
  }
  if (!a.versions?.includes(version)) return { hit: false };
  // Listed explicitly (OSV's enumerated versions): the fix, if any range names one above it.
  const fixed = ranges.flatMap((r) => r.events.map((e) => e.fixed)).filter((f): f is string => f !== undefined && cmp(f, version) > 0).sort(cmp)[0];
  return fixed ? { hit: true, fixed } : { hit: true };
}

/** Every (advisory, package) pair where the package's installed version is affected; most severe first. */
export function scanPackages(packages: readonly SbomPackage[], db: OsvDatabase): Finding[] {
  const findings: Finding[] = [];
  for (const pkg of packages) {
    const names = pkg.source && pkg.source.name !== pkg.name ? [pkg.name, pkg.source.name] : [pkg.name];
    const versionOf = (n: string) => (pkg.source && n === pkg.source.name && n !== pkg.name ? pkg.source.version : pkg.version);
    const seen = new Set<string>();
    for (const name of names)
      for (const record of db.lookup(pkg.ecosystem, name)) {
        if (seen.has(record.id)) continue;
        for (const a of record.affected ?? []) {
          const res = affects(pkg, names, versionOf, a);
          if (!res.hit) continue;
          seen.add(record.id);
          findings.push(finding(record, a, pkg, res.fixed));
          break;
        }
      }
  }
  return findings.sort((x, y) => severityRank(y.severity) - severityRank(x.severity) || x.package.name.localeCompare(y.package.name) || x.id.localeCompare(y.id));
}

function finding(record: OsvRecord, a: OsvAffected, pkg: SbomPackage, fixed: string | undefined): Finding {
  return {
    id: record.id,
    aliases: record.aliases ?? [],
    summary: record.summary ?? record.details?.split('\n')[0] ?? '',
    severity: severityOf(record, a),
    package: { name: pkg.name, version: pkg.version, ecosystem: pkg.ecosystem, purl: pkg.purl },
    services: pkg.services,
    ...(fixed ? { fixed } : {}),
  };
}
