// Agent metrics from a real Docker Engine (restarts, CPU and memory of owned containers, disk free) reach the hub in a
// status report: GET /api/v1/instances/:id shows the latest and a bounded history, /metrics exports them, a malformed
// metrics member is a 400 that changes nothing.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { collectAgentMetrics, type AgentMetrics } from '../../src/agent/connected/metrics.ts';
import type { DockerEngine } from '../../src/engine/index.ts';
import { METRICS_HISTORY } from '../../src/hub/db/sql-observe.ts';
import { buildBusyboxImage, ensureEngine, removeLabelled, uniqueName } from '../helpers/engine.ts';
import { startSeededFleet, type SeededFleet } from '../helpers/seeded-fleet.ts';

const app = uniqueName('skiff-test-metrics');
const image = `${app}:1`;
let engine: DockerEngine;
let fleet: SeededFleet;
let stateDir: string;
let metrics: AgentMetrics;

before(async () => {
  engine = await ensureEngine();
  await buildBusyboxImage(engine, image, { cmd: ['sleep', '600'] });
  const labels = (service: string) => ({ 'skiff.app': app, 'skiff.service': service, 'skiff.release': '1.0.0' });
  const web = await engine.containerCreate(`${app}-web`, { Image: image, Labels: labels('web'), HostConfig: { NetworkMode: 'none' } });
  // A worker that keeps failing: Docker restarts it and counts.
  const worker = await engine.containerCreate(`${app}-worker`, { Image: image, Cmd: ['sh', '-c', 'sleep 0.2; exit 3'], Labels: labels('worker'), HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
  await engine.containerStart(web);
  await engine.containerStart(worker);
  for (let i = 0; i < 100 && ((await engine.containerInspect(worker))?.restartCount ?? 0) < 2; i++) await sleep(200);
  stateDir = await mkdtemp(join(tmpdir(), 'skiff-metrics-state-'));
  fleet = await startSeededFleet({ app: 'metricsagent', versions: ['1.0.0'], customers: { acme: 1 } });
});

after(async () => {
  await removeLabelled(engine, 'skiff.app', app).catch(() => undefined);
  await engine?.imageRemove(image, { force: true }).catch(() => undefined);
  await engine?.close();
  await fleet?.close();
  await rm(stateDir, { recursive: true, force: true });
});

test('the agent samples its containers: restarts as Docker counts them, CPU and memory from the stats API, disk free of the state dir and the engine root', async () => {
  metrics = await collectAgentMetrics(stateDir, app);
  assert.deepEqual(metrics.containers.map((c) => c.service), ['web', 'worker']);
  const [web, worker] = metrics.containers;
  assert.equal(worker?.restarts, 2);
  assert.equal(web?.restarts, 0);
  assert.equal(typeof web?.cpuRatio, 'number');
  assert.ok((web?.memoryBytes ?? 0) > 0, `memory in use: ${web?.memoryBytes}`);
  assert.ok((web?.memoryLimitBytes ?? 0) > 0);
  assert.ok((metrics.diskFree.stateDir ?? 0) > 0);
  assert.ok((metrics.diskFree.engineRoot ?? 0) > 0);
  assert.deepEqual(await collectAgentMetrics(stateDir, undefined).then((m) => m.containers), []);
});

test('the hub keeps the latest metrics and a bounded history, shows them per instance and exports them to Prometheus', async () => {
  const inst = fleet.instances[0];
  assert.ok(inst);
  const bad = await fleet.call('POST', '/api/v1/instances/self/status', inst.credential, { currentVersion: '1.0.0', health: 'healthy', metrics: { ...metrics, containers: [{ service: 'web', restarts: -1, cpuRatio: 0, memoryBytes: 1, memoryLimitBytes: 1 }] } });
  assert.equal(bad.status, 400, bad.text);
  assert.match(bad.text, /restarts/);
  assert.equal((await fleet.call('GET', `/api/v1/instances/${inst.id}`, fleet.adminToken)).json.metrics, null);

  await fleet.report(inst, { currentVersion: '1.0.0', health: 'healthy', metrics });
  const shown = await fleet.call('GET', `/api/v1/instances/${inst.id}`, fleet.adminToken);
  assert.deepEqual(shown.json.metrics, metrics);
  assert.equal((shown.json.metricsHistory as unknown[]).length, 1);

  const scraped = await fleet.call('GET', '/metrics', fleet.adminToken);
  assert.equal(scraped.status, 200);
  const labels = `instance_id="${inst.id}",instance_name="acme-0",customer="acme",app="metricsagent"`;
  assert.ok(scraped.text.includes(`skiff_instance_container_restarts{${labels},service="worker"} 2`), scraped.text);
  assert.ok(scraped.text.includes(`skiff_instance_container_memory_bytes{${labels},service="web"} ${metrics.containers[0]?.memoryBytes}`));
  assert.ok(scraped.text.includes(`skiff_instance_disk_free_bytes{${labels},path="engine"} ${metrics.diskFree.engineRoot}`));

  for (let i = 0; i < METRICS_HISTORY + 2; i++) await fleet.report(inst, { currentVersion: '1.0.0', health: 'healthy', metrics: { ...metrics, at: new Date(Date.now() + i).toISOString() } });
  const later = await fleet.call('GET', `/api/v1/instances/${inst.id}`, fleet.adminToken);
  assert.equal((later.json.metricsHistory as unknown[]).length, METRICS_HISTORY);
  const other = await fleet.call('GET', `/api/v1/instances/${inst.id}`, fleet.customerTokens.acme);
  assert.equal(other.status, 200);
});
