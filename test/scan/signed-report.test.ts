// Signed scan reports: `release scan --sign` writes the JSON or SARIF report and a detached signature by the release
// keys; `release verify-scan --root root.json` accepts it as written and refuses any change to the report or the
// signature, a signature of the other format, another vendor's key; a customer pinned at root v1 follows a rotation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { parseRoot, initTrust, rotateTrust } from '../../src/trust/index.ts';
import { signScanReport, verifyScanReport } from '../../src/scan/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';
import { makePackageRelease, type PackageRelease } from '../sbom/package-release.ts';
import { writeOsvDatabase } from './osv-fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));
let vendor: Vendor;
let pkg: PackageRelease;
let db: { dir: string; zip: string };
let pinned: string;
let ref: string;

function skiff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000, env: { ...process.env, SKIFF_DEBUG: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const scan = (...extra: string[]) => skiff('release', 'scan', ref, '--store', vendor.storeDir, '--db', db.zip, ...extra);
const verify = (report: string, ...extra: string[]) => skiff('release', 'verify-scan', report, '--root', pinned, ...extra);
const file = (name: string) => path.join(vendor.dir, name);

before(async () => {
  vendor = await makeVendor('sksig');
  pkg = await makePackageRelease(vendor, '1.0.0');
  db = await writeOsvDatabase(vendor.dir);
  ref = `${vendor.app}@1.0.0`;
  // What a customer holds: the root.json v1 its agents pin.
  pinned = file('pinned-root.json');
  await copyFile(vendor.rootJson, pinned);
  for (const [flag, out] of [['--json', 'report.json'], ['--sarif', 'report.sarif']] as const) {
    const r = await scan(flag, '--sign', '--trust', vendor.trustDir, '-o', file(out));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^wrote .*${out.replace('.', '\\.')} and its signature .*${out.replace('.', '\\.')}\\.sig \\(release key [0-9a-f]{8}\\)\\n$`));
  }
});
after(async () => {
  await pkg?.cleanup();
  await vendor?.cleanup();
});

test('--sign needs a report format, an output file and the trust dir: usage errors naming what to add', async () => {
  const cases: [string[], RegExp][] = [
    [['--sign', '--trust', vendor.trustDir, '-o', file('x')], /^skiff: --sign signs the --json or the --sarif report: add one of them\n$/],
    [['--json', '--sign', '--trust', vendor.trustDir], /^skiff: --sign needs --output FILE: the report goes there and its signature to FILE\.sig\n$/],
    [['--json', '--sign', '-o', file('x')], /^skiff: --sign needs --trust DIR, the trust dir holding the release signing keys\n$/],
  ];
  for (const [args, message] of cases) {
    const r = await scan(...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});

test('the signed JSON report and the signed SARIF verify against the pinned root, naming the release', async () => {
  const json = await verify(file('report.json'));
  assert.equal(json.code, 0, json.stderr);
  assert.match(json.stdout, new RegExp(`^verified scan report .*report\\.json \\(JSON\\) of ${vendor.app}@1\\.0\\.0 \\(release sha256:[0-9a-f]{12}…\\): 5 findings, signed by release key [0-9a-f]{8} of root version 1\\n$`));
  const sarif = await verify(file('report.sarif'));
  assert.equal(sarif.code, 0, sarif.stderr);
  assert.match(sarif.stdout, /\(SARIF\) of .*: 5 findings/);
  // The report is exactly what scan --json prints: tools read it unchanged.
  const printed = await scan('--json');
  assert.deepEqual(JSON.parse(printed.stdout).findings, JSON.parse(await readFile(file('report.json'), 'utf8')).findings);
});

test('a report with a finding removed, a byte changed, or the signature altered is refused', async () => {
  const original = await readFile(file('report.json'), 'utf8');
  const doc = JSON.parse(original) as { findings: { severity: string }[] };
  const withoutCritical = { ...doc, findings: doc.findings.filter((f) => f.severity !== 'critical') };
  await writeFile(file('dropped.json'), `${JSON.stringify(withoutCritical, null, 2)}\n`);
  await writeFile(file('spaced.json'), `${original} `);
  for (const tampered of ['dropped.json', 'spaced.json']) {
    const r = await verify(file(tampered), '--signature', file('report.json.sig'));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^skiff: .*${tampered.replace('.', '\\.')} has 0 valid signature\\(s\\) of the 1 required from the vendor's release keys \\(root version 1\\): it was altered after signing, or signed by someone else; do not trust it\\n$`));
  }
  const sig = JSON.parse(await readFile(file('report.json.sig'), 'utf8')) as { signatures: { sig: string }[] };
  const raw = Buffer.from(sig.signatures[0]!.sig, 'base64');
  raw[0] = (raw[0] ?? 0) ^ 0xff;
  sig.signatures[0]!.sig = raw.toString('base64');
  await writeFile(file('bad.sig'), JSON.stringify(sig));
  const badSig = await verify(file('report.json'), '--signature', file('bad.sig'));
  assert.equal(badSig.code, 1);
  assert.match(badSig.stderr, /altered after signing/);
  await writeFile(file('garbage.sig'), 'not json');
  const garbage = await verify(file('report.json'), '--signature', file('garbage.sig'));
  assert.equal(garbage.code, 1);
  assert.match(garbage.stderr, /^skiff: .*garbage\.sig is not a skiff scan report signature .*; use the \.sig file skiff release scan --sign wrote\n$/);
  const missing = await verify(file('report.json'), '--signature', file('none.sig'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^skiff: the signature .*none\.sig does not exist: check the path/);
});

test("the SARIF's signature does not pass for the JSON report, nor another vendor's key for either", async () => {
  const swapped = await verify(file('report.json'), '--signature', file('report.sarif.sig'));
  assert.equal(swapped.code, 1);
  assert.match(swapped.stderr, /altered after signing/);
  const other = await initTrust(file('other-trust'));
  const report = await readFile(file('report.json'));
  const forged = signScanReport(report, 'json', other);
  const root = parseRoot(await readFile(pinned), 'pinned');
  assert.throws(() => verifyScanReport(report, Buffer.from(JSON.stringify(forged)), root, { report: 'r', signature: 's' }), (e) => isSkiffError(e, 'SIGNATURE_INVALID'));
  // Their root chain carried along does not make their key the vendor's.
  const withOurRoots = { ...forged, roots: JSON.parse(await readFile(file('report.json.sig'), 'utf8')).roots as string[] };
  assert.throws(() => verifyScanReport(report, Buffer.from(JSON.stringify(withOurRoots)), root, { report: 'r', signature: 's' }), (e) => isSkiffError(e, 'SIGNATURE_INVALID'));
});

test('after a release key rotation, a customer pinned at root v1 verifies through the carried root chain', async () => {
  await rotateTrust(vendor.trustDir, { release: true });
  const r = await scan('--json', '--sign', '--trust', vendor.trustDir, '-o', file('rotated.json'));
  assert.equal(r.code, 0, r.stderr);
  const v = await verify(file('rotated.json'));
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /of root version 2\n$/);
  // A customer that trusts root v2 refuses what the release key v2 removed signed.
  const v2 = (await skiff('release', 'verify-scan', file('report.json'), '--root', path.join(vendor.trustDir, 'root.json'))).stderr;
  assert.match(v2, /has 0 valid signature\(s\) of the 1 required from the vendor's release keys \(root version 2\)/);
});
