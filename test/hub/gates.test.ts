// Promotion gates at a real hub (HTTP on a socket, SQLite): a real release (engine images, SBOM) pushed by the CLI with
// its scan report; a gated channel refuses it until each finding is waived with a reason (audited); a license policy.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { channelCommand } from '../../src/cli/channel.ts';
import { releaseCommand } from '../../src/cli/release.ts';
import { loadOsvDatabase, scanRelease } from '../../src/scan/index.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';
import { makePackageRelease, type PackageRelease } from '../sbom/package-release.ts';
import { writeOsvDatabase } from '../scan/osv-fixture.ts';
import { runCommand, startHub, userToken, type Hub } from './hub-fixture.ts';

let hub: Hub;
let vendor: Vendor;
let pkg: PackageRelease;
let token: string;
let hubUrl: string;
let scanFile: string;
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
  await writeFile(scanFile, JSON.stringify(await scanRelease(vendor.store, pkg.release, await loadOsvDatabase(db.zip))));
});
after(async () => {
  await hub?.close();
  await pkg?.cleanup();
  await vendor?.cleanup();
});

const api = (p: string) => `/api/v1/apps/${vendor.app}${p}`;
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
  const report = JSON.parse(await readFile(scanFile, 'utf8')) as Record<string, unknown>;
  const wrong = await hub.call('PUT', api('/releases/1.0.0/scan'), token, { ...report, releaseDigest: `sha256:${'0'.repeat(64)}` });
  assert.equal(wrong.status, 400);
  assert.match(String((wrong.json.error as { message: string }).message), /scanned release sha256:0+, the hub's .*@1\.0\.0 is sha256:/);
  const notReport = await hub.call('PUT', api('/releases/1.0.0/scan'), token, { hello: 1 });
  assert.equal(notReport.status, 400);
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
  assert.equal(policyAudit.length, 2);
});

test('only vendor users with channel:write set gates and waivers', async () => {
  const viewer = await userToken(hub, 'gate-viewer', 'viewer');
  assert.equal((await hub.call('PUT', api('/channels/stable/policy'), viewer, { failOn: null })).status, 403);
  assert.equal((await hub.call('POST', api('/releases/1.0.0/waivers'), viewer, { finding: 'X', reason: 'because', expiresAt: inAYear() })).status, 403);
  assert.equal((await hub.call('PUT', api('/channels/stable/policy'), token, { failOn: 'severe' })).status, 400);
});
