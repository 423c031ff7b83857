// Only what changed restarts: a service whose container spec (image, command, environment with values, mounts, ports,
// networks, labels) is the same in the new release keeps its container running across the upgrade.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { agentStatus, install } from '../../src/agent/index.ts';
import { FAST, cleanupApp, makeBundle, page, removeDir, tempDir } from '../helpers/agent.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;
let work: string;
let stateDir: string;
const bundles = new Map<string, string>();

before(async () => {
  vendor = await makeVendor('skunc');
  work = await tempDir('skiff-unchanged');
  stateDir = path.join(work, 'state');
  // 2.0.0 changes web only; 3.0.0 changes the worker's environment only.
  for (const [version, opts] of [
    ['1.0.0', {}],
    ['2.0.0', {}],
    ['3.0.0', { webPage: 'web 2.0.0', edit: (doc: { services: Record<string, Record<string, unknown>> }) => void (doc.services['worker']!['environment'] = { LEVEL: 'debug' }) }],
    // 4.0.0 changes the worker's environment only, and web asks to restart with it (Compose's depends_on.<service>.restart).
    ['4.0.0', {
      webPage: 'web 2.0.0',
      edit: (doc: { services: Record<string, Record<string, unknown>> }) => {
        doc.services['worker']!['environment'] = { LEVEL: 'info' };
        doc.services['web']!['depends_on'] = { worker: { condition: 'service_started', restart: true } };
      },
    }],
  ] as const) {
    await vendor.createVersion(version, opts);
    bundles.set(version, (await makeBundle(vendor.store, vendor.app, version, path.join(work, `${version}.skiff`))).file);
  }
  await install({ stateDir, bundle: bundles.get('1.0.0')!, trustFile: vendor.rootJson, ...FAST });
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

async function running(service: string): Promise<{ id: string; startedAt: string }> {
  const c = await vendor.engine.containerInspect(`${vendor.app}-${service}-1`);
  assert.ok(c?.state.running, `${service} runs`);
  return { id: c.id, startedAt: c.state.startedAt };
}

test('an upgrade that changes one of two services leaves the other running: same container, same start time', async () => {
  const worker = await running('worker');
  const web = await running('web');
  await install({ stateDir, bundle: bundles.get('2.0.0')!, ...FAST });
  assert.deepEqual(await running('worker'), worker, 'the unchanged worker was not restarted');
  assert.notEqual((await running('web')).id, web.id, 'the changed web was replaced');
  assert.equal(await page(vendor.webPort), 'web 2.0.0');
  const s = await agentStatus(stateDir);
  assert.deepEqual(s.services.map((x) => [x.service, x.release]), [['web', '2.0.0'], ['worker', '2.0.0']], 'status: both run 2.0.0');
});

test('a change of one service’s environment restarts that service only', async () => {
  const web = await running('web');
  const worker = await running('worker');
  await install({ stateDir, bundle: bundles.get('3.0.0')!, ...FAST });
  assert.deepEqual(await running('web'), web, 'web (same image, same spec) kept running');
  assert.notEqual((await running('worker')).id, worker.id, 'the worker with a new environment was replaced');
});

test('new values restart only the services that use them', async () => {
  const worker = await running('worker');
  const web = await running('web');
  await install({ stateDir, bundle: bundles.get('3.0.0')!, values: { values: { GREETING: 'salut' } }, ...FAST });
  assert.deepEqual(await running('worker'), worker, 'the worker does not use GREETING');
  assert.notEqual((await running('web')).id, web.id);
});

test('depends_on with restart: true restarts the unchanged dependent in place when its dependency is recreated', async () => {
  const web = await running('web');
  const worker = await running('worker');
  await install({ stateDir, bundle: bundles.get('4.0.0')!, ...FAST });
  assert.notEqual((await running('worker')).id, worker.id, 'the changed worker was replaced');
  const after = await running('web');
  assert.equal(after.id, web.id, 'web’s spec is unchanged: same container');
  assert.notEqual(after.startedAt, web.startedAt, 'but it was restarted, as its depends_on asks');
  assert.equal(await page(vendor.webPort), 'web 2.0.0');
});
