// The hub's own alert rules against a real hub (HTTP, SQLite): an unhealthy, a failed and a silent instance fire,
// each exactly once (a second evaluator, as another replica, records nothing more), and resolve when the instance
// recovers; GET /api/v1/alerts and `skiff alerts` show them; other customers' and instances' tokens are refused.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { AlertEvaluator, type AlertTransition } from '../../src/hub/alerts/evaluator.ts';
import { startSeededFleet, type SeededFleet } from '../helpers/seeded-fleet.ts';

const SKIFF = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));
const SILENT_MS = 1_500;
let fleet: SeededFleet;
const heard: AlertTransition[] = [];

const healthy = { currentVersion: '1.0.0', health: 'healthy' };
const names = (ts: readonly AlertTransition[]): string[] => ts.map((t) => `${t.state} ${t.rule} ${t.instance}`).sort();

before(async () => {
  fleet = await startSeededFleet({ app: 'alertapp', versions: ['1.0.0'], customers: { acme: 4, globex: 1 }, build: { alerts: { everyMs: 0, silentAfterMs: SILENT_MS } } });
  fleet.app.hub.alerts.onTransition((t) => heard.push(t));
});

after(async () => {
  await fleet?.close();
});

test('unhealthy, failed and silent instances fire once each, resolve when they recover, and every transition reaches the listeners', async () => {
  const [sick, failing, fine, quiet] = fleet.instances;
  assert.ok(sick && failing && fine && quiet);
  const hook = await fleet.call('POST', '/api/v1/webhooks', fleet.adminToken, { url: 'http://127.0.0.1:9/alerts', events: ['alert.firing', 'alert.resolved'] });
  assert.equal(hook.status, 201, hook.text);
  await new Promise((r) => setTimeout(r, SILENT_MS + 200));
  await fleet.report(sick, { ...healthy, health: 'unhealthy' });
  await fleet.report(failing, { ...healthy, failedRelease: { version: '1.1.0', at: new Date().toISOString(), reason: 'health check of web failed after 60 s' } });
  await fleet.report(fine, healthy);
  await fleet.report(fleet.instances[4]!, healthy);

  const fired = await fleet.app.hub.alerts.evaluate();
  assert.deepEqual(names(fired), ['firing instance-silent acme-3', 'firing instance-unhealthy acme-0', 'firing upgrade-failed acme-1']);
  assert.deepEqual(names(heard), names(fired));
  const failedAlert = fired.find((t) => t.rule === 'upgrade-failed');
  assert.equal(failedAlert?.alertname, 'SkiffUpgradeFailed');
  assert.deepEqual(failedAlert?.detail.reason, 'health check of web failed after 60 s');

  // Nothing changed: nothing new, here or on another replica evaluating the same database.
  assert.deepEqual(await fleet.app.hub.alerts.evaluate(), []);
  assert.deepEqual(await new AlertEvaluator(fleet.db, { everyMs: 0, silentAfterMs: SILENT_MS }).evaluate(), []);

  const firing = await fleet.call('GET', '/api/v1/alerts?state=firing', fleet.adminToken);
  assert.equal(firing.status, 200, firing.text);
  const list = firing.json.alerts as { rule: string; instance: string; state: string; since: string; customer: string }[];
  assert.deepEqual(list.map((a) => `${a.rule} ${a.instance}`).sort(), ['instance-silent acme-3', 'instance-unhealthy acme-0', 'upgrade-failed acme-1']);

  await fleet.report(sick, healthy);
  await fleet.report(failing, { ...healthy, failedRelease: null });
  await fleet.report(quiet, healthy);
  const resolved = await fleet.app.hub.alerts.evaluate();
  assert.deepEqual(names(resolved), ['resolved instance-silent acme-3', 'resolved instance-unhealthy acme-0', 'resolved upgrade-failed acme-1']);
  const all = (await fleet.call('GET', '/api/v1/alerts', fleet.adminToken)).json.alerts as { state: string; resolvedAt: string | null }[];
  assert.equal(all.length, 3);
  assert.ok(all.every((a) => a.state === 'resolved' && a.resolvedAt !== null));

  // It fires again after it resolved (a new transition, a new since).
  await fleet.report(sick, { ...healthy, health: 'unhealthy' });
  assert.deepEqual(names(await fleet.app.hub.alerts.evaluate()), ['firing instance-unhealthy acme-0']);
  assert.equal(heard.length, 7);
  // Each transition went to the vendor's webhook (its outbox row written after the transition was recorded).
  const hookId = String(hook.json.id);
  const deliveries = async () => ((await fleet.call('GET', `/api/v1/webhooks/${hookId}/deliveries`, fleet.adminToken)).json.deliveries as { event: string }[]).map((d) => d.event);
  for (let i = 0; i < 50 && (await deliveries()).length < 7; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual((await deliveries()).sort(), [...Array(4).fill('alert.firing'), ...Array(3).fill('alert.resolved')]);
});

test('alerts: a customer sees only its own, an instance and a caller without a token are refused, a viewer reads them; skiff alerts prints them', async () => {
  const mine = await fleet.call('GET', '/api/v1/alerts', fleet.customerTokens.acme);
  assert.equal(mine.status, 200);
  assert.ok((mine.json.alerts as unknown[]).length > 0);
  const other = await fleet.call('GET', '/api/v1/alerts', fleet.customerTokens.globex);
  assert.deepEqual(other.json.alerts, []);
  assert.equal((await fleet.call('GET', '/api/v1/alerts', fleet.instances[0]?.credential)).status, 404);
  assert.equal((await fleet.call('GET', '/api/v1/alerts')).status, 401);
  assert.equal((await fleet.call('GET', '/api/v1/alerts?state=maybe', fleet.adminToken)).status, 400);
  const password = 'correct horse battery staple';
  assert.equal((await fleet.call('POST', '/api/v1/users', fleet.adminToken, { username: 'vera', password, role: 'viewer' })).status, 201);
  const viewer = String((await fleet.call('POST', '/api/v1/login', undefined, { username: 'vera', password })).json.token);
  assert.equal((await fleet.call('GET', '/api/v1/alerts', viewer)).status, 200);

  const { stdout } = await promisify(execFile)(process.execPath, [SKIFF, 'alerts', '--hub', fleet.url, '--token', fleet.adminToken, '--state', 'firing'], { timeout: 60_000 });
  assert.match(stdout, /^STATE +ALERT/);
  assert.match(stdout, /firing +SkiffInstanceUnhealthy +acme +acme-0/);
  const json = await promisify(execFile)(process.execPath, [SKIFF, 'alerts', '--json', '--hub', fleet.url, '--token', fleet.adminToken], { timeout: 60_000 });
  assert.equal((JSON.parse(json.stdout) as unknown[]).length, 3);
  const bad = await promisify(execFile)(process.execPath, [SKIFF, 'alerts', '--state', 'maybe', '--hub', fleet.url, '--token', fleet.adminToken], { timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
  assert.ok('code' in bad && bad.code !== 0);
  assert.match((bad as { stderr: string }).stderr, /^skiff: --state "maybe" is not firing or resolved\n$/);
});
