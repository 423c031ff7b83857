// Version ordering per ecosystem, as OSV ranges need it: Debian's dpkg algorithm, semver for npm, PEP 440 (roughly) for
// PyPI, and a generic numeric/alphabetic ordering for the rest (Alpine's apk versions sort correctly under it).
import { semver } from '../util/index-semver.ts';

/** dpkg's character order: `~` before everything (even the end), then letters, then everything else. */
function dpkgOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[0-9]/.test(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp: alternating non-digit and digit runs of one part (upstream version or revision). */
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !/[0-9]/.test(a[i] ?? '')) || (j < b.length && !/[0-9]/.test(b[j] ?? ''))) {
      const ac = dpkgOrder(a[i]);
      const bc = dpkgOrder(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (/[0-9]/.test(a[i] ?? '') && /[0-9]/.test(b[j] ?? '')) {
      if (!firstDiff) firstDiff = (a.charCodeAt(i) || 0) - (b.charCodeAt(j) || 0);
      i++;
      j++;
    }
    if (/[0-9]/.test(a[i] ?? '')) return 1;
    if (/[0-9]/.test(b[j] ?? '')) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Splits `[epoch:]upstream[-revision]` as dpkg does (the revision after the last hyphen). */
function debianParts(v: string): { epoch: number; upstream: string; revision: string } {
  const colon = v.indexOf(':');
  const epoch = colon > 0 && /^\d+$/.test(v.slice(0, colon)) ? Number(v.slice(0, colon)) : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const hyphen = rest.lastIndexOf('-');
  return hyphen < 0 ? { epoch, upstream: rest, revision: '' } : { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
}

/** Debian version comparison (dpkg --compare-versions): negative, zero or positive. */
export function compareDebian(a: string, b: string): number {
  const x = debianParts(a);
  const y = debianParts(b);
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
}

/** PEP 440, roughly: release numbers, then dev < a < b < rc < final < post; local versions ignored. */
export function comparePep440(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?(?:[-_.]?(post|rev|r)[-_.]?(\d*)|-(\d+))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+.*)?$/i.exec(v.trim());
    if (!m) return undefined;
    const pre = m[3]?.toLowerCase();
    const preRank = pre === undefined ? 0 : pre.startsWith('a') ? -3 : pre.startsWith('b') ? -2 : -1;
    const post = m[5] !== undefined ? Number(m[6] || 0) : m[7] !== undefined ? Number(m[7]) : -1;
    // A bare dev release (1.0.dev1) sorts before every pre-release of 1.0.
    const devOnly = m[8] !== undefined && pre === undefined && post < 0;
    return [Number(m[1] ?? 0), m[2]!.split('.').map(Number), devOnly ? -4 : preRank, Number(m[4] || 0), post, m[8] !== undefined ? Number(m[9] || 0) : Infinity] as const;
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return compareGeneric(a, b);
  if (x[0] !== y[0]) return x[0] - y[0];
  for (let i = 0; i < Math.max(x[1].length, y[1].length); i++) {
    const d = (x[1][i] ?? 0) - (y[1][i] ?? 0);
    if (d) return d;
  }
  for (let k = 2; k < 6; k++) {
    const d = (x[k] as number) - (y[k] as number);
    if (d) return d === Infinity || d === -Infinity ? Math.sign(d) : d;
  }
  return 0;
}

/** Numbers compare as numbers, other runs as text, a missing run first: good for apk and most others. */
export function compareGeneric(a: string, b: string): number {
  const runs = (v: string) => v.match(/\d+|[A-Za-z]+|[^A-Za-z\d]+/g) ?? [];
  const x = runs(a);
  const y = runs(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return p === undefined ? -1 : 1;
    const d = /^\d/.test(p) && /^\d/.test(q) ? Number(p) - Number(q) : p < q ? -1 : p > q ? 1 : 0;
    if (d) return Math.sign(d);
  }
  return 0;
}

function compareSemver(a: string, b: string): number {
  const x = semver.valid(a, { loose: true });
  const y = semver.valid(b, { loose: true });
  return x && y ? semver.compare(x, y, { loose: true }) : compareGeneric(a, b);
}

/** The comparison for an OSV ecosystem name (the part before any `:`). */
export function comparatorFor(ecosystem: string): (a: string, b: string) => number {
  const base = ecosystem.split(':')[0] ?? '';
  if (base === 'Debian' || base === 'Ubuntu') return compareDebian;
  // Go module versions are semver with a leading v (v1.2.3), which loose semver parsing accepts; OSV writes them without.
  if (base === 'npm' || base === 'Go') return compareSemver;
  if (base === 'PyPI') return comparePep440;
  return compareGeneric;
}
