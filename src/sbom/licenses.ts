// License reports from an SBOM: which packages carry which license, and which ones a list of refused licenses catches
// (an `OR` expression is refused only when every alternative is; an `AND` when any part is).
import type { SbomPackage } from './cyclonedx.ts';

export interface LicenseGroup {
  /** The license as the packages state it; `(none stated)` for packages that state none. */
  readonly license: string;
  readonly packages: readonly SbomPackage[];
}

export const NO_LICENSE = '(none stated)';

/** Packages grouped by stated license, most packages first. */
export function licenseReport(packages: readonly SbomPackage[]): LicenseGroup[] {
  const groups = new Map<string, SbomPackage[]>();
  for (const p of packages)
    for (const l of p.licenses.length > 0 ? p.licenses : [NO_LICENSE]) {
      const list = groups.get(l) ?? [];
      list.push(p);
      groups.set(l, list);
    }
  return [...groups].map(([license, list]) => ({ license, packages: list })).sort((a, b) => b.packages.length - a.packages.length || a.license.localeCompare(b.license));
}

const norm = (s: string): string => s.trim().replace(/^\(+|\)+$/g, '').trim().toLowerCase();

/** Whether one stated license (a name, or an SPDX expression) falls under `refused` (names compared case-insensitively). */
export function isRefusedLicense(stated: string, refused: ReadonlySet<string>): boolean {
  if (refused.has(norm(stated))) return true;
  const alternatives = stated.split(/\s+OR\s+/i);
  return alternatives.every((alt) => alt.split(/\s+AND\s+/i).some((part) => refused.has(norm(part.replace(/\s+WITH\s+.*$/i, '')))));
}

/** The (package, license) pairs `refused` catches. Several licenses stated (Debian's copyright lists one per file set) all apply, so any refused one counts. */
export function refusedLicenses(packages: readonly SbomPackage[], refused: readonly string[]): { package: SbomPackage; license: string }[] {
  const set = new Set(refused.map(norm));
  if (set.size === 0) return [];
  const out: { package: SbomPackage; license: string }[] = [];
  for (const p of packages) {
    for (const l of p.licenses) if (isRefusedLicense(l, set)) out.push({ package: p, license: l });
  }
  return out;
}
