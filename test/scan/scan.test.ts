// `release scan` of a real release (images from the engine, SBOM from their layers) against a small OSV database:
// source-package matching, per-ecosystem ordering, severities, fixed versions, JSON and SARIF, and bad databases.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ScanReportSchema, loadOsvDatabase, scanRelease } from '../../src/scan/index.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';
import { makePackageRelease, type PackageRelease } from '../sbom/package-release.ts';
import { writeOsvDatabase } from './osv-fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));
let vendor: Vendor;
let pkg: PackageRelease;
let db: { dir: string; zip: string };

function skiff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000, env: { ...process.env, SKIFF_DEBUG: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  vendor = await makeVendor('skscan');
  pkg = await makePackageRelease(vendor, '1.0.0');
  db = await writeOsvDatabase(vendor.dir);
});
after(async () => {
  await pkg?.cleanup();
  await vendor?.cleanup();
});

test('each affected package is reported once per advisory with its severity and fixed version', async () => {
  const report = await scanRelease(vendor.store, pkg.release, await loadOsvDatabase(db.zip));
  const rows = report.findings.map((f) => `${f.severity} ${f.id} ${f.package.name}@${f.package.version} fixed=${f.fixed ?? '-'} ${f.services.join(',')}`);
  // Unknown severity (Debian's advisories state none) ranks as high; then by package name.
  assert.deepEqual(rows, [
    'critical DSA-0002-1 zlib1g@1:1.2.13.dfsg-1 fixed=1:1.2.13.dfsg-1+deb12u1 base',
    'high GHSA-dddd-eeee-ffff debug@2.6.9 fixed=2.6.10 app,base',
    'unknown DSA-0001-1 libc6@2.36-9+deb12u4 fixed=2.36-9+deb12u7 app,base',
    'medium GHSA-aaaa-bbbb-cccc express@4.18.2 fixed=4.19.2 app,base',
    'medium PYSEC-0001 requests@2.31.0 fixed=2.32.0 app,base',
  ]);
  assert.equal(report.releaseDigest, pkg.release.digest);
  assert.equal(report.sbomDigest, pkg.release.manifest.sbom[0]?.digest);
  assert.equal(report.database.records, 7);
  ScanReportSchema.parse(report);
});

test('a directory of records gives the same findings as the zip', async () => {
  const fromDir = await scanRelease(vendor.store, pkg.release, await loadOsvDatabase(db.dir));
  const fromZip = await scanRelease(vendor.store, pkg.release, await loadOsvDatabase(db.zip));
  assert.deepEqual(fromDir.findings, fromZip.findings);
});

test('skiff release scan prints a table, the JSON report or SARIF 2.1.0', async () => {
  const ref = `${vendor.app}@1.0.0`;
  const text = await skiff('release', 'scan', ref, '--store', vendor.storeDir, '--db', db.zip);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^.*: 5 findings \(1 critical, 1 high, 2 medium, 1 unknown\) against 7 OSV records$/m);
  assert.match(text.stdout, /^critical\s+DSA-0002-1\s+zlib1g \(Debian:12\)\s+1:1\.2\.13\.dfsg-1\s+1:1\.2\.13\.dfsg-1\+deb12u1\s+base$/m);
  const json = await skiff('release', 'scan', ref, '--store', vendor.storeDir, '--db', db.zip, '--json');
  assert.equal(ScanReportSchema.parse(JSON.parse(json.stdout)).findings.length, 5);
  const sarif = JSON.parse((await skiff('release', 'scan', ref, '--store', vendor.storeDir, '--db', db.dir, '--sarif')).stdout) as {
    version: string;
    runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string }[] }[];
  };
  assert.equal(sarif.version, '2.1.0');
  assert.equal(sarif.runs[0]?.results.length, 5);
  assert.equal(sarif.runs[0]?.results.find((r) => r.ruleId === 'DSA-0002-1')?.level, 'error');
  assert.equal(sarif.runs[0]?.tool.driver.rules.length, 5);
});

test('a missing or malformed database is a one-line error naming it', async () => {
  const ref = `${vendor.app}@1.0.0`;
  const missing = await skiff('release', 'scan', ref, '--store', vendor.storeDir, '--db', path.join(vendor.dir, 'nope.zip'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^skiff: the OSV database .*nope\.zip does not exist: pass a \.zip or a directory of OSV JSON files\n$/);
  const bad = path.join(vendor.dir, 'bad-osv');
  await mkdir(bad, { recursive: true });
  await writeFile(path.join(bad, 'X-1.json'), JSON.stringify({ id: 'X-1', affected: [{ package: { ecosystem: 'npm' } }] }));
  const malformed = await skiff('release', 'scan', ref, '--store', vendor.storeDir, '--db', bad);
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /^skiff: OSV database .*bad-osv: X-1\.json: affected\.0\.package\.name [^\n]+\n$/);
  const notZip = path.join(vendor.dir, 'not.zip');
  await writeFile(notZip, 'hello');
  const r = await skiff('release', 'scan', ref, '--store', vendor.storeDir, '--db', notZip);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^skiff: .*not\.zip is not a readable zip/);
  assert.doesNotMatch(r.stderr, /\n./);
});
