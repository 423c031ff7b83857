// A small OSV database made for the tests, against the packages of test/sbom/package-release.ts: as a directory of
// records and as the .zip osv.dev publishes.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const range = (type: string, fixed: string, introduced = '0') => [{ type, events: [{ introduced }, { fixed }] }];

export const OSV_RECORDS: Record<string, object> = {
  // Debian advisories name the source package (glibc), not the binary one (libc6).
  'debian/DSA-0001-1.json': {
    id: 'DSA-0001-1', summary: 'glibc - security update', aliases: ['CVE-2099-0001'],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: range('ECOSYSTEM', '2.36-9+deb12u7') }],
  },
  // Fixed in the very version the app image has: only the base service is affected (Debian ordering of +deb12u1).
  'debian/DSA-0002-1.json': {
    id: 'DSA-0002-1', summary: 'zlib - security update',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: range('ECOSYSTEM', '1:1.2.13.dfsg-1+deb12u1') }],
    database_specific: { severity: 'critical' },
  },
  // Another Debian release: not ours.
  'debian/DSA-0003-1.json': {
    id: 'DSA-0003-1', summary: 'glibc for bullseye',
    affected: [{ package: { ecosystem: 'Debian:11', name: 'glibc' }, ranges: range('ECOSYSTEM', '2.31-13+deb11u9') }],
  },
  'npm/GHSA-aaaa-bbbb-cccc.json': {
    id: 'GHSA-aaaa-bbbb-cccc', summary: 'express open redirect', aliases: ['CVE-2099-0002'],
    affected: [{ package: { ecosystem: 'npm', name: 'express' }, ranges: range('SEMVER', '4.19.2') }],
    database_specific: { severity: 'MODERATE' },
  },
  'npm/GHSA-dddd-eeee-ffff.json': {
    id: 'GHSA-dddd-eeee-ffff', summary: 'debug ReDoS',
    affected: [{ package: { ecosystem: 'npm', name: 'debug' }, versions: ['2.6.8', '2.6.9'], ranges: range('SEMVER', '2.6.10', '2.0.0') }],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
  },
  'pypi/PYSEC-0001.json': {
    id: 'PYSEC-0001', summary: 'requests leaks proxy credentials',
    affected: [{ package: { ecosystem: 'PyPI', name: 'Requests' }, ranges: range('ECOSYSTEM', '2.32.0', '2.3.0') }],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' }],
  },
  'npm/GHSA-wwww-xxxx-yyyy.json': {
    id: 'GHSA-wwww-xxxx-yyyy', summary: 'withdrawn', withdrawn: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'npm', name: 'express' }, ranges: range('SEMVER', '9.0.0') }],
  },
};

/** Writes the records under `dir`; returns the directory and a .zip of it. */
export async function writeOsvDatabase(dir: string): Promise<{ dir: string; zip: string }> {
  const db = path.join(dir, 'osv');
  for (const [name, record] of Object.entries(OSV_RECORDS)) {
    await mkdir(path.dirname(path.join(db, name)), { recursive: true });
    await writeFile(path.join(db, name), JSON.stringify(record, null, 2));
  }
  const zip = path.join(dir, 'osv.zip');
  execFileSync('zip', ['-qr', zip, '.'], { cwd: db });
  return { dir: db, zip };
}
