// Promotion gates at a real hub (HTTP on a socket, SQLite): a real release (engine images, SBOM) pushed by the CLI with
// its scan report, signed with the vendor's real release keys; an unsigned, foreign-signed or altered report does not
// count; a gated channel refuses it until each finding is waived with a reason (audited); a license policy.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { channelCommand } from '../../src/cli/channel.ts';
import { releaseCommand } from '../../src/cli/release.ts';
import { signScanReport, toSarif, loadOsvDatabase, scanRelease } from '../../src/scan/index.ts';
import { loadTrustDir, type TrustDir } from '../../src/trust/index.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';
import { makePackageRelease, type PackageRelease } from '../sbom/package-release.ts';
import { writeOsvDatabase } from '../scan/osv-fixture.ts';
import { makeRoot, runCommand, seed, startHub, userToken, type Hub } from './hub-fixture.ts';

let hub: Hub;
let vendor: Vendor;
let pkg: PackageRelease;
let token: string;
let hubUrl: string;
let scanFile: string;
let trust: TrustDir;
let foreign: { dir: string; trust: TrustDir };
const inAYear = () => new Date(Date.now() + 30 * 86_400_000).toISOString();

before(async () => {
  hub = await startHub();
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  hubUrl = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
  vendor = await makeVendor('skgate');
  pkg = await makePackageRelease(vendor, '1.0.0');
  const made = await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: vendor.app, root: await readFile(vendor.rootJson, 'utf8') });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  token = await userToken(hub, 'gatekeeper', 'release-manager');
  const db = await writeOsvDatabase(vendor.dir);
  scanFile = path.join(vendor.dir, 'scan.json');
  const scanned = await runCommand(releaseCommand, ['scan', `${vendor.app}@1.0.0`, '--store', vendor.storeDir, '--db', db.zip, '--json', '--sign', '--trust', vendor.trustDir, '-o', scanFile]);
  assert.equal(scanned.code, 0, scanned.out);
  trust = await loadTrustDir(vendor.trustDir);
  const other = await makeRoot();
  foreign = { dir: other.dir, trust: await loadTrustDir(path.join(other.dir, 'trust')) };
  report = JSON.parse(await readFile(scanFile, 'utf8')) as Record<string, unknown>;
  sarif = `${JSON.stringify(toSarif(await scanRelease(vendor.store, pkg.release, await loadOsvDatabase(db.zip)), 'test'))}\n`;
});
after(async () => {
  if (foreign) await rm(foreign.dir, { recursive: true, force: true });
  await hub?.close();
  await pkg?.cleanup();
  await vendor?.cleanup();
});

let report: Record<string, unknown>;
let sarif: string;

const api = (p: string) => `/api/v1/apps/${vendor.app}${p}`;
/** A report's text and its detached signature as `skiff release scan --sign` writes them (by `by`'s release keys). */
const signed = (text: string, by: TrustDir = trust, format: 'json' | 'sarif' = 'json') => ({ report: text, signature: JSON.stringify(signScanReport(Buffer.from(text), format, by)) });
const upload = (body: unknown) => hub.call('PUT', api('/releases/1.0.0/scan'), token, body);
const errorOf = (res: { json: Record<string, unknown> }) => res.json.error as { code: string; message: string };
const promote = (channel: string) => hub.call('POST', api(`/channels/${channel}/releases`), token, { version: '1.0.0' });
const cli = (make: typeof releaseCommand, ...args: string[]) => runCommand(make, [...args, '--hub', hubUrl, '--token', token]);

test('push --scan uploads the release and its scan report; an ungated channel takes it', async () => {
  const pushed = await cli(releaseCommand, 'push', `${vendor.app}@1.0.0`, '--store', vendor.storeDir, '--scan', scanFile);
  assert.equal(pushed.code, 0, pushed.out);
  assert.match(pushed.out, /^scan report sha256:[0-9a-f]{64} uploaded \(1 critical, 1 high, 2 medium, 1 unknown\)$/m);
  const stored = await hub.call('GET', api('/releases/1.0.0/scan'), token);
  assert.equal((stored.json.report as { releaseDigest: string }).releaseDigest, pkg.release.digest);
  assert.equal((await promote('beta')).status, 201);
});

test('a scan report must name the release as pushed', async () => {
  const wrong = await upload(signed(JSON.stringify({ ...report, releaseDigest: `sha256:${'0'.repeat(64)}` })));
  assert.equal(wrong.status, 400);
  assert.match(errorOf(wrong).message, /scanned release sha256:0+, the hub's .*@1\.0\.0 is sha256:/);
  const notReport = await upload(signed(JSON.stringify({ hello: 1 })));
  assert.equal(notReport.status, 400);
  assert.match(errorOf(notReport).message, /is signed but is not a skiff scan report in JSON/);
});

test('only a report signed by the release keys of the app\'s root counts: unsigned, foreign, altered and SARIF are 400s, and nothing is stored', async () => {
  const before = await hub.call('GET', api('/releases/1.0.0/scan'), token);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const good = signed(text);
  const cases: [string, unknown, string, RegExp][] = [
    ['the report alone (the old upload)', report, 'INVALID_INPUT', /^body needs the report and its signature \(body\.report, body\.signature\): gates count only signed scan reports; scan it with skiff release scan .*--json --sign --trust DIR/],
    ['the report text without a signature', { report: text }, 'INVALID_INPUT', /^body needs the report and its signature/],
    ['signed by another vendor\'s keys', signed(text, foreign.trust), 'SIGNATURE_INVALID', /has 0 valid signature\(s\) of the 1 required from the vendor's release keys/],
    ['altered after signing', { ...good, report: text.replace('"critical"', '"low"') }, 'SIGNATURE_INVALID', /has 0 valid signature\(s\) of the 1 required .*it was altered after signing, or signed by someone else/],
    ['a signature that is not one', { report: text, signature: '{"hello":1}' }, 'SIGNATURE_INVALID', /^its signature is not a skiff scan report signature/],
    ['the SARIF report, signed', signed(sarif, trust, 'sarif'), 'INVALID_INPUT', /is SARIF: gates read the JSON report/],
  ];
  for (const [what, body, code, message] of cases) {
    const res = await upload(body);
    assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.json)}`);
    assert.equal(errorOf(res).code, code, what);
    assert.match(errorOf(res).message, message, what);
  }
  assert.deepEqual(await hub.call('GET', api('/releases/1.0.0/scan'), token), before, 'the stored report is unchanged');
  const noSig = path.join(vendor.dir, 'unsigned.json');
  await writeFile(noSig, text);
  const pushed = await cli(releaseCommand, 'push', `${vendor.app}@1.0.0`, '--store', vendor.storeDir, '--scan', noSig);
  assert.equal(pushed.code, 1, pushed.out);
});

test('a gate does not count a report stored unsigned (uploaded before signatures were required)', async () => {
  await hub.call('PUT', api('/channels/strict/policy'), token, { failOn: 'critical' });
  const stored = await hub.db.getReleaseScan(vendor.app, '1.0.0');
  assert.ok(stored?.signature);
  await seed(hub.db, (tx) => tx.putReleaseScan({ ...stored, signature: null }));
  const refused = await promote('strict');
  assert.equal(refused.status, 409);
  assert.match(errorOf(refused).message, /^channel "strict" admits only releases with a signed scan report \(findings at or above critical refuse\) and .*@1\.0\.0 has none: its scan report was uploaded unsigned; scan .* --sign /);
  await seed(hub.db, (tx) => tx.putReleaseScan(stored));
  const counted = await promote('strict');
  assert.equal(counted.status, 409);
  assert.match(errorOf(counted).message, /1 unwaived finding\(s\) at or above critical: DSA-0002-1 /);
});

test('a gated channel refuses the release until every finding at or above its severity is waived with a reason', async () => {
  const set = await runCommand(channelCommand, ['policy', vendor.app, 'stable', '--fail-on', 'high', '--hub', hubUrl, '--token', token]);
  assert.equal(set.code, 0, set.out);
  assert.equal(set.out, 'stable: scan findings at or above high refuse a release; refused licenses: none\n');
  const refused = await promote('stable');
  assert.equal(refused.status, 409);
  const error = refused.json.error as { code: string; message: string };
  assert.equal(error.code, 'POLICY_REFUSED');
  assert.match(error.message, /^channel "stable" refuses .*@1\.0\.0: 3 unwaived finding\(s\) at or above high: DSA-0002-1 \(critical, zlib1g@1:1\.2\.13\.dfsg-1\), GHSA-dddd-eeee-ffff \(high, debug@2\.6\.9\), DSA-0001-1 \(unknown, libc6@2\.36-9\+deb12u4\); fix them/);
  assert.equal((await hub.db.getChannel(vendor.app, 'stable'))?.releases.length ?? 0, 0, 'nothing promoted');

  const noReason = await hub.call('POST', api('/releases/1.0.0/waivers'), token, { finding: 'DSA-0002-1', reason: ' ', expiresAt: inAYear() });
  assert.equal(noReason.status, 400);
  const past = await hub.call('POST', api('/releases/1.0.0/waivers'), token, { finding: 'DSA-0002-1', reason: 'not reachable', expiresAt: '2020-01-01' });
  assert.equal(past.status, 400);
  assert.match(String((past.json.error as { message: string }).message), /not in the future/);

  for (const finding of ['DSA-0002-1', 'GHSA-dddd-eeee-ffff']) {
    const w = await runCommand(releaseCommand, ['waive', `${vendor.app}@1.0.0`, finding, '--reason', `${finding}: the code path is not used`, '--expires', inAYear(), '--hub', hubUrl, '--token', token]);
    assert.equal(w.code, 0, w.out);
  }
  const still = await promote('stable');
  assert.equal(still.status, 409);
  assert.match(String((still.json.error as { message: string }).message), /1 unwaived finding\(s\) at or above high: DSA-0001-1 /);
  await hub.call('POST', api('/releases/1.0.0/waivers'), token, { finding: 'DSA-0001-1', reason: 'glibc fix ships in 1.0.1', expiresAt: inAYear() });
  assert.equal((await promote('stable')).status, 201);
  assert.deepEqual((await hub.db.getChannel(vendor.app, 'stable'))?.releases.map((r) => r.version), ['1.0.0']);

  const audit = (await hub.db.listAudit({ limit: 10_000 })).filter((e) => e.action === 'release.waive');
  assert.deepEqual(audit.map((e) => [e.actor, e.details.finding, e.details.reason]), [
    ['user:gatekeeper', 'DSA-0002-1', 'DSA-0002-1: the code path is not used'],
    ['user:gatekeeper', 'GHSA-dddd-eeee-ffff', 'GHSA-dddd-eeee-ffff: the code path is not used'],
    ['user:gatekeeper', 'DSA-0001-1', 'glibc fix ships in 1.0.1'],
  ]);
});

test('a channel refusing a license refuses a release whose SBOM carries it, until that license is waived', async () => {
  const set = await hub.call('PUT', api('/channels/lts/policy'), token, { failOn: null, refusedLicenses: ['LGPL-2.1+'] });
  assert.equal(set.status, 200, JSON.stringify(set.json));
  const refused = await promote('lts');
  assert.equal(refused.status, 409);
  assert.match(String((refused.json.error as { message: string }).message), /1 package\(s\) under a refused license: LGPL-2\.1\+ \(libc6@2\.36-9\+deb12u4\)/);
  await hub.call('POST', api('/releases/1.0.0/waivers'), token, { finding: 'license:LGPL-2.1+', reason: 'dynamic linking only', expiresAt: inAYear() });
  assert.equal((await promote('lts')).status, 201);
  const policyAudit = (await hub.db.listAudit({ limit: 10_000 })).filter((e) => e.action === 'channel.policy');
  assert.deepEqual(policyAudit.map((e) => e.target.split('/')[1]), ['channel:strict', 'channel:stable', 'channel:lts']);
});

test('only vendor users with channel:write set gates and waivers', async () => {
  const viewer = await userToken(hub, 'gate-viewer', 'viewer');
  assert.equal((await hub.call('PUT', api('/channels/stable/policy'), viewer, { failOn: null })).status, 403);
  assert.equal((await hub.call('POST', api('/releases/1.0.0/waivers'), viewer, { finding: 'X', reason: 'because', expiresAt: inAYear() })).status, 403);
  assert.equal((await hub.call('PUT', api('/channels/stable/policy'), token, { failOn: 'severe' })).status, 400);
});
