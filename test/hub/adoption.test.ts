// Delivery reports on a scripted fleet (10 instances of two customers, three releases): exact figures for instances
// per version, versions behind, time to 50 % / 90 % adoption and failed upgrades with reasons, as JSON, CSV and
// through `skiff report adoption`; a customer sees only its own; other callers are refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AdoptionReport } from '../../src/fleet/index.ts';
import { reportCommand } from '../../src/cli/report.ts';
import { startSeededFleet, type SeededFleet } from '../helpers/seeded-fleet.ts';
import { runCommand } from './hub-fixture.ts';

let fleet: SeededFleet;
let released: Record<string, string>;
const REASON = 'migration 0042 failed: disk full, rolled back';
const plus = (iso: string, s: number): string => new Date(Date.parse(iso) + s * 1000).toISOString();

before(async () => {
  fleet = await startSeededFleet({ app: 'adopt', versions: ['1.0.0', '1.1.0', '1.2.0'], customers: { acme: 6, globex: 4 } });
  const stable = await fleet.db.getChannel('adopt', 'stable');
  released = Object.fromEntries((stable?.releases ?? []).map((r) => [r.version, r.promotedAt]));
  const by = new Map(fleet.instances.map((i) => [i.name, i]));
  const t11 = released['1.1.0']!;
  const t12 = released['1.2.0']!;
  // The history as the status route records it: each version change an event; the current version in the record.
  const script: [string, string, string][] = [
    ['acme-0', '1.1.0', plus(t11, 10)], ['acme-1', '1.1.0', plus(t11, 20)], ['acme-2', '1.1.0', plus(t11, 30)], ['acme-3', '1.1.0', plus(t11, 40)], ['acme-4', '1.1.0', plus(t11, 50)],
    ['acme-0', '1.2.0', plus(t12, 60)], ['acme-1', '1.2.0', plus(t12, 120)], ['acme-2', '1.2.0', plus(t12, 180)], ['globex-0', '1.2.0', plus(t12, 240)],
    ['globex-1', '1.2.0', plus(t12, 300)], ['acme-3', '1.2.0', plus(t12, 600)], ['acme-4', '1.2.0', plus(t12, 900)], ['globex-2', '1.2.0', plus(t12, 1200)], ['acme-5', '1.2.0', plus(t12, 3600)],
  ];
  for (const [name, to, at] of script) await fleet.db.addInstanceEvent(by.get(name)!.id, { at, kind: 'version', detail: { from: null, to } });
  for (const i of fleet.instances) await fleet.db.reportInstance(i.id, { currentVersion: i.name === 'globex-3' ? '1.0.0' : '1.2.0', health: 'healthy' });
  // A failure arrives the real way: the agent's report names the release that failed and why.
  await fleet.report(by.get('globex-3')!, { currentVersion: '1.0.0', health: 'healthy', failedRelease: { version: '1.2.0', at: new Date().toISOString(), reason: REASON } });
});

after(async () => {
  await fleet?.close();
});

test('the adoption report of a scripted fleet is exact', async () => {
  const res = await fleet.call('GET', '/api/v1/reports/adoption?app=adopt', fleet.adminToken);
  assert.equal(res.status, 200, res.text);
  const r = res.json as unknown as AdoptionReport;
  assert.equal(r.instances, 10);
  const v12 = r.versions.find((v) => v.version === '1.2.0');
  assert.deepEqual(v12, { version: '1.2.0', releasedAt: released['1.2.0'], instances: 9, adoption50: { at: plus(released['1.2.0']!, 300), seconds: 300 }, adoption90: { at: plus(released['1.2.0']!, 3600), seconds: 3600 } });
  const v11 = r.versions.find((v) => v.version === '1.1.0');
  assert.equal(v11?.instances, 0);
  assert.deepEqual(v11?.adoption50, { at: plus(released['1.1.0']!, 50), seconds: 50 });
  assert.deepEqual(r.versions.map((v) => v.version), ['1.2.0', '1.1.0', '1.0.0']);
  assert.deepEqual(r.behind, { '0': 9, '2': 1 });
  assert.equal(r.failedUpgrades.length, 1);
  assert.deepEqual({ ...r.failedUpgrades[0], at: undefined, instanceId: undefined }, { instance: 'globex-3', customer: 'globex', version: '1.2.0', reason: REASON, at: undefined, instanceId: undefined });
  assert.deepEqual(r.customers, [
    { customer: 'acme', instances: 6, versions: { '1.2.0': 6 }, behind: { '0': 6 }, failedUpgrades: 0 },
    { customer: 'globex', instances: 4, versions: { '1.2.0': 3, '1.0.0': 1 }, behind: { '0': 3, '2': 1 }, failedUpgrades: 1 },
  ]);
});

test('CSV for Accept: text/csv and format=csv, one row per customer and version; skiff report adoption prints the same', async () => {
  const byAccept = await fleet.call('GET', '/api/v1/reports/adoption?app=adopt', fleet.adminToken, undefined, { accept: 'text/csv' });
  assert.equal(byAccept.status, 200);
  assert.match(byAccept.type, /^text\/csv/);
  const byQuery = await fleet.call('GET', '/api/v1/reports/adoption?app=adopt&format=csv', fleet.adminToken);
  assert.equal(byQuery.text, byAccept.text);
  const lines = byAccept.text.trimEnd().split('\r\n');
  assert.deepEqual(lines, [
    'customer,version,instances,released_at,adoption_50_seconds,adoption_90_seconds,failed_upgrades,failure_reasons',
    `acme,1.2.0,6,${released['1.2.0']},300,3600,0,`,
    `globex,1.2.0,3,${released['1.2.0']},300,3600,1,"globex-3: ${REASON}"`,
    `globex,1.0.0,1,${released['1.0.0']},${lines[3]?.split(',')[4]},${lines[3]?.split(',')[5]},0,`,
  ]);
  const cli = await runCommand(reportCommand, ['adoption', '--app', 'adopt', '--csv', '--hub', fleet.url, '--token', fleet.adminToken]);
  assert.equal(cli.code, 0);
  assert.equal(cli.out, byAccept.text);
  const human = await runCommand(reportCommand, ['adoption', '--app', 'adopt', '--hub', fleet.url, '--token', fleet.adminToken]);
  assert.match(human.out, /^app adopt: 10 instances/);
  assert.match(human.out, /1\.2\.0 +9 +\S+ +5m +1\.0h/);
});

test('a customer sees its own instances only; an instance, no token, an unknown app and a bad format are refused', async () => {
  const acme = await fleet.call('GET', '/api/v1/reports/adoption?app=adopt', fleet.customerTokens.acme);
  assert.equal(acme.status, 200, acme.text);
  const r = acme.json as unknown as AdoptionReport;
  assert.equal(r.instances, 6);
  assert.deepEqual(r.customers.map((c) => c.customer), ['acme']);
  assert.deepEqual(r.failedUpgrades, []);
  assert.equal((await fleet.call('GET', '/api/v1/reports/adoption?app=adopt', fleet.instances[0]?.credential)).status, 404);
  assert.equal((await fleet.call('GET', '/api/v1/reports/adoption?app=adopt')).status, 401);
  const unknown = await fleet.call('GET', '/api/v1/reports/adoption?app=nope', fleet.adminToken);
  assert.equal(unknown.status, 404);
  assert.match(String((unknown.json.error as { message: string }).message), /app "nope"/);
  assert.equal((await fleet.call('GET', '/api/v1/reports/adoption?app=adopt&format=xml', fleet.adminToken)).status, 400);
  assert.equal((await fleet.call('GET', '/api/v1/reports/adoption', fleet.adminToken)).status, 400);
});
