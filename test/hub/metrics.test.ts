// /metrics scraped by a real Prometheus from a real `skiff hub serve`: the fleet by app, version and health (instances
// enrolled and reporting through the fleet simulator), check-ins, upgrade outcomes, latency histograms that move, the
// repo's alert rules firing, and who may read /metrics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { FleetSim } from '../../bench/lib/fleet-sim.ts';
import { startFleetHub, type FleetHub } from '../../bench/lib/fleet-hub.ts';
import { startPrometheus, type Prometheus, type PromSample } from '../helpers/prometheus.ts';

let fleet: FleetHub;
let sim: FleetSim;
let prom: Prometheus | undefined;
let metricsToken: string;

const sum = (r: PromSample[]): number => r.reduce((n, s) => n + Number(s.value[1]), 0);

async function status(credential: string, report: Record<string, unknown>): Promise<void> {
  const res = await request(`${fleet.hub.url}/api/v1/instances/self/status`, { method: 'POST', headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' }, body: JSON.stringify(report) });
  assert.equal(res.statusCode, 204, await res.body.text());
}

async function scrape(token?: string): Promise<{ status: number; text: string; type: string }> {
  const res = await request(`${fleet.hub.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, text: await res.body.text(), type: String(res.headers['content-type']) };
}

before(async () => {
  fleet = await startFleetHub({ backend: 'sqlite', app: 'metricsapp' });
  sim = await FleetSim.enroll({ hub: fleet.hub.url, enrollToken: await fleet.enrollToken(3), count: 3, namePrefix: 'm', concurrency: 3 });
  await sim.pollAll();
  const [, sick, failing] = sim.agents;
  assert.ok(sick && failing);
  await status(sick.credential, { currentVersion: '1.0.0', health: 'unhealthy' });
  await status(failing.credential, { currentVersion: '1.0.0', health: 'healthy', failedRelease: { version: '1.1.0', at: new Date().toISOString(), reason: 'health check of web failed' } });
  await sim.pollAll();
  metricsToken = (await fleet.api<{ token: string }>('POST', '/tokens', { name: 'prometheus', scopes: ['metrics:read'] })).token;
});

after(async () => {
  await prom?.stop();
  await sim?.close();
  await fleet?.stop();
});

test('/metrics answers a metrics:read token in the Prometheus text format; no token is 401, a customer or instance token 404, the scraper token reads nothing else', async () => {
  const ok = await scrape(metricsToken);
  assert.equal(ok.status, 200, ok.text);
  assert.match(ok.type, /^text\/plain; version=0\.0\.4/);
  assert.match(ok.text, /skiff_fleet_instances\{app="metricsapp",version="1\.0\.0",health="healthy"\} 2/);
  assert.match(ok.text, /skiff_hub_upgrade_outcomes_total\{app="metricsapp",result="failed"\} 1/);
  assert.match(ok.text, /skiff_hub_upgrade_outcomes_total\{app="metricsapp",result="installed"\} 3/);
  assert.equal((await scrape()).status, 401);
  const customerToken = (await fleet.api<{ token: string }>('POST', `/customers/${fleet.customer}/tokens`, {}, 201)).token;
  assert.equal((await scrape(customerToken)).status, 404);
  assert.equal((await scrape(sim.agents[0]?.credential)).status, 404);
  const fleetRead = await request(`${fleet.hub.url}/api/v1/instances`, { headers: { authorization: `Bearer ${metricsToken}` } });
  assert.equal(fleetRead.statusCode, 403, await fleetRead.body.text());
});

test('a real Prometheus scrapes the hub: fleet series, check-ins, latency histograms that move, and the shipped rules firing', async () => {
  prom = await startPrometheus({ target: new URL(fleet.hub.url).host, token: metricsToken });
  const p = prom;
  await p.waitFor('up{job="skiff-hub"}', (r) => r[0]?.value[1] === '1');
  const byHealth = await p.waitFor('sum by (health) (skiff_fleet_instances{app="metricsapp",version="1.0.0"})', (r) => r.length === 2);
  assert.deepEqual(Object.fromEntries(byHealth.map((s) => [s.metric.health, s.value[1]])), { healthy: '2', unhealthy: '1' });
  const failed = await p.query('skiff_instance_upgrade_failed == 1');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.metric.version, '1.1.0');
  assert.equal(failed[0]?.metric.instance_name, 'm-2');
  assert.ok(sum(await p.query('skiff_hub_checkins_total')) >= 6, 'the polls were counted');

  // Each poll is counted once, whether the fast path (a 304 written before the framework, while this replica's view of
  // the generation is recent) or the framework answered it; back-to-back polls mostly take the fast path.
  const agent = sim.agents[0];
  assert.ok(agent);
  const [allBefore, fastBefore] = [sum(await p.query('skiff_hub_checkins_total')), sum(await p.query('skiff_hub_checkins_total{path="fast"}'))];
  for (let i = 0; i < 20; i++) assert.equal(await sim.poll(agent), 'not-modified');
  const all = await p.waitFor('skiff_hub_checkins_total', (r) => sum(r) >= allBefore + 20);
  assert.equal(sum(all), allBefore + 20);
  assert.ok(sum(await p.query('skiff_hub_checkins_total{path="fast"}')) >= fastBefore + 10, 'the fast path counts its 304s');

  const route = 'skiff_hub_http_request_duration_seconds_count{route="/api/v1/instances",method="GET",status="200"}';
  const before = sum(await p.query(route));
  for (let i = 0; i < 4; i++) await fleet.api('GET', '/instances');
  await p.waitFor(route, (r) => sum(r) === before + 4);
  const raw = await scrape(metricsToken);
  assert.ok(!/route="\/api\/v1\/instances\/[0-9a-f]{8}-/.test(raw.text), 'routes are labelled by pattern, never by raw URL');

  const alerts = await p.waitFor('ALERTS{alertstate="firing"}', (r) => r.length >= 2);
  assert.deepEqual(alerts.map((a) => a.metric.alertname).sort(), ['SkiffInstanceUnhealthy', 'SkiffUpgradeFailed']);
});
