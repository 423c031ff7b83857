// The packages an image holds, read from its package databases: Debian's dpkg status (and distroless status.d),
// Alpine's apk db, node_modules/**/package.json, Python's dist-info / egg-info metadata and Go binaries' build info.
import { posix } from 'node:path';
import { goPackages, isGoBuildInfo } from './go-buildinfo.ts';

export type PackageType = 'deb' | 'apk' | 'npm' | 'pypi' | 'golang';

export interface CatalogPackage {
  readonly type: PackageType;
  readonly name: string;
  readonly version: string;
  /** License names or SPDX expressions as the package states them; empty when it states none. */
  readonly licenses: readonly string[];
  /** Where the package was found in the image (the database file, its package.json / METADATA, or the Go binary). */
  readonly path: string;
  readonly arch?: string;
  /** Debian: the source package (what security trackers and OSV name); Alpine: the origin. */
  readonly source?: { readonly name: string; readonly version: string };
}

export interface Distro {
  /** os-release ID, e.g. debian, alpine. */
  readonly id: string;
  /** os-release VERSION_ID, e.g. 12, 3.19.1. */
  readonly versionId: string;
}

export interface ImageCatalog {
  readonly distro?: Distro;
  readonly packages: readonly CatalogPackage[];
}

/** RFC 822-style paragraphs (dpkg status, METADATA headers): field names as written, continuation lines joined. */
export function paragraphs(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of block.split('\n')) {
      if (/^[ \t]/.test(line) && last) fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
      else {
        const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*):\s?(.*)$/.exec(line);
        if (!m?.[1]) continue;
        last = m[1];
        // METADATA repeats Classifier: keep every value.
        fields.set(last, fields.has(last) ? `${fields.get(last) ?? ''}\n${m[2] ?? ''}` : (m[2] ?? ''));
      }
    }
    if (fields.size > 0) out.push(fields);
  }
  return out;
}

function osRelease(text: string | undefined): Distro | undefined {
  if (!text) return undefined;
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) vars.set(m[1], (m[2] ?? '').replace(/^["']|["']$/g, ''));
  }
  const id = vars.get('ID');
  return id ? { id, versionId: vars.get('VERSION_ID') ?? '' } : undefined;
}

/** License names of a machine-readable Debian copyright file (DEP-5), the `Files: *` paragraph's first. */
function debianLicenses(text: string | undefined): string[] {
  if (!text || !/^Format:/m.test(text)) return [];
  const names: string[] = [];
  for (const p of paragraphs(text)) {
    const license = p.get('License')?.split('\n')[0]?.trim();
    if (license && p.has('Files') && !names.includes(license)) {
      if (p.get('Files')?.trim() === '*') names.unshift(license);
      else names.push(license);
    }
  }
  return names;
}

function dpkgPackages(path: string, text: string, docs: ReadonlyMap<string, Buffer>, requireStatus: boolean): CatalogPackage[] {
  const out: CatalogPackage[] = [];
  for (const p of paragraphs(text)) {
    const name = p.get('Package');
    const version = p.get('Version');
    const status = p.get('Status');
    if (!name || !version || (status === undefined ? requireStatus : !/\binstalled$/.test(status.trim()))) continue;
    const src = /^(\S+)(?:\s+\((\S+)\))?/.exec(p.get('Source') ?? '');
    const copyright = docs.get(`usr/share/doc/${name}/copyright`)?.toString('utf8');
    out.push({
      type: 'deb',
      name,
      version,
      licenses: debianLicenses(copyright),
      path,
      ...(p.get('Architecture') ? { arch: p.get('Architecture') } : {}),
      source: { name: src?.[1] ?? name, version: src?.[2] ?? version },
    });
  }
  return out;
}

function apkPackages(path: string, text: string): CatalogPackage[] {
  const out: CatalogPackage[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const f = new Map<string, string>();
    for (const line of block.split('\n')) if (line[1] === ':' && !f.has(line[0] ?? '')) f.set(line[0] ?? '', line.slice(2));
    const name = f.get('P');
    const version = f.get('V');
    if (!name || !version) continue;
    out.push({
      type: 'apk',
      name,
      version,
      licenses: f.get('L') ? [f.get('L') ?? ''] : [],
      path,
      ...(f.get('A') ? { arch: f.get('A') } : {}),
      source: { name: f.get('o') ?? name, version },
    });
  }
  return out;
}

function npmLicenses(json: Record<string, unknown>): string[] {
  const one = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string' ? (v as { type: string }).type : undefined;
  const single = one(json['license']);
  if (single) return [single];
  return Array.isArray(json['licenses']) ? json['licenses'].map(one).filter((x): x is string => !!x) : [];
}

function npmPackage(path: string, bytes: Buffer): CatalogPackage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!json || typeof json !== 'object') return undefined;
  const { name, version } = json as { name?: unknown; version?: unknown };
  if (typeof name !== 'string' || typeof version !== 'string' || !name || !version) return undefined;
  return { type: 'npm', name, version, licenses: npmLicenses(json as Record<string, unknown>), path };
}

function pythonPackage(path: string, text: string): CatalogPackage | undefined {
  const headers = paragraphs(text.split(/\r?\n\r?\n/)[0] ?? '')[0];
  const name = headers?.get('Name');
  const version = headers?.get('Version');
  if (!headers || !name || !version) return undefined;
  const expression = headers.get('License-Expression');
  const classifiers = (headers.get('Classifier') ?? '')
    .split('\n')
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').pop()?.trim() ?? '')
    .filter(Boolean);
  const license = headers.get('License')?.split('\n')[0]?.trim();
  const licenses = expression ? [expression] : classifiers.length > 0 ? classifiers : license && license !== 'UNKNOWN' ? [license] : [];
  return { type: 'pypi', name, version, licenses, path };
}

/** Reads the packages out of an image's catalog files (from imageCatalogFiles). */
export function catalogImage(files: ReadonlyMap<string, Buffer>): ImageCatalog {
  const distro = osRelease((files.get('etc/os-release') ?? files.get('usr/lib/os-release'))?.toString('utf8'));
  const packages: CatalogPackage[] = [];
  for (const [path, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const text = () => bytes.toString('utf8');
    if (isGoBuildInfo(bytes)) packages.push(...goPackages(path, bytes));
    else if (path === 'var/lib/dpkg/status') packages.push(...dpkgPackages(path, text(), files, true));
    else if (path.startsWith('var/lib/dpkg/status.d/')) {
      if (!path.endsWith('.md5sums')) packages.push(...dpkgPackages(path, text(), files, false));
    } else if (path === 'lib/apk/db/installed') packages.push(...apkPackages(path, text()));
    else if (posix.basename(path) === 'package.json') {
      const p = npmPackage(path, bytes);
      if (p) packages.push(p);
    } else if (path.endsWith('/METADATA') || path.endsWith('/PKG-INFO')) {
      const p = pythonPackage(path, text());
      if (p) packages.push(p);
    }
  }
  return { ...(distro ? { distro } : {}), packages };
}
