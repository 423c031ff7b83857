// The agent against the real Docker Engine: install v1, delta upgrade to v2, new values for v2, a failing v3 rolls back to v2 with
// the named volume's data intact, operator rollback without a bundle, pruning, and a delta without its base.
import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { agentStatus, install, rollback, type AgentStatus } from '../../src/agent/index.ts';
import type { StoredRelease } from '../../src/release/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, FAST_FLAGS, cleanupApp, dockerExec, forgetImages, makeBundle, page, removeDir, runCli, snapshot, tempDir } from '../helpers/agent.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;
let work: string;
let stateDir: string;
const releases = new Map<string, StoredRelease>();
const bundles = new Map<string, { file: string; size: number }>();

before(async () => {
  vendor = await makeVendor('skag');
  work = await tempDir('skiff-agent-install');
  stateDir = path.join(work, 'state');
  releases.set('1.0.0', await vendor.createVersion('1.0.0'));
  releases.set('2.0.0', await vendor.createVersion('2.0.0'));
  releases.set('3.0.0', await vendor.createVersion('3.0.0', { health: 'fail' }));
  releases.set('4.0.0', await vendor.createVersion('4.0.0'));
  releases.set('5.0.0', await vendor.createVersion('5.0.0'));
  const b = (name: string, version: string, from?: string) => makeBundle(vendor.store, vendor.app, version, path.join(work, name), from);
  bundles.set('v1', await b('v1.skiff', '1.0.0'));
  bundles.set('v2-full', await b('v2-full.skiff', '2.0.0'));
  bundles.set('v2-delta', await b('v2-delta.skiff', '2.0.0', '1.0.0'));
  bundles.set('v3', await b('v3.skiff', '3.0.0', '2.0.0'));
  bundles.set('v4', await b('v4.skiff', '4.0.0', '2.0.0'));
  bundles.set('v5', await b('v5.skiff', '5.0.0', '4.0.0'));
  // The agent must load every image from its bundle, as on a customer host.
  await forgetImages(vendor.engine, [...releases.values()].flatMap((r) => Object.values(r.manifest.images).map((i) => i.configDigest)));
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

const bundle = (name: string): string => {
  const b = bundles.get(name);
  assert.ok(b, `bundle ${name} was written`);
  return b.file;
};

const imageTagged = async (version: string): Promise<boolean> => Boolean(await vendor.engine.imageInspect(`skiff/${vendor.app}/web:${version}`));

function assertHealthyOn(s: AgentStatus, version: string): void {
  assert.equal(s.current?.version, version);
  assert.equal(s.operation, undefined, 'no operation in flight');
  assert.deepEqual(s.services.map((x) => x.service), ['web', 'worker']);
  for (const svc of s.services) {
    assert.equal(svc.release, version, `${svc.service} runs ${version}`);
    assert.equal(svc.state, 'running', `${svc.service} is running`);
  }
  assert.equal(s.services.find((x) => x.service === 'web')?.health, 'healthy');
}

test('a full bundle installs v1: web answers on its port, status shows it healthy and hides the secret', async () => {
  const r = await runCli(['agent', 'install', bundle('v1'), '--state', stateDir, '--trust', vendor.rootJson, ...FAST_FLAGS]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${vendor.app}: 1\\.0\\.0 installed, healthy`));
  assert.equal(await page(vendor.webPort), 'web 1.0.0');

  const st = await runCli(['agent', 'status', '--state', stateDir, '--json']);
  assert.equal(st.code, 0, st.stderr);
  const s = JSON.parse(st.stdout) as AgentStatus;
  assert.equal(s.app, vendor.app);
  assertHealthyOn(s, '1.0.0');
  assert.equal(s.current?.digest, releases.get('1.0.0')?.digest);
  assert.equal(s.current?.values['API_TOKEN'], '******');
  assert.equal(s.current?.values['GREETING'], 'hello');
  assert.equal(s.trust?.rootVersion, 1);
  assert.doesNotMatch(st.stdout, /not-a-real-token/);
  assert.deepEqual(s.services.map((x) => x.container.replace(/^\//, '')), [`${vendor.app}-web-1`, `${vendor.app}-worker-1`]);

  await dockerExec(`${vendor.app}-worker-1`, 'echo keep > /data/marker');
});

test('a delta bundle (smaller than the full one) upgrades v1 to v2', async () => {
  assert.ok(bundles.get('v2-delta')!.size < bundles.get('v2-full')!.size, 'the delta is smaller than the full bundle');
  const r = await install({ stateDir, bundle: bundle('v2-delta'), ...FAST });
  assert.deepEqual(r, { app: vendor.app, from: '1.0.0', to: '2.0.0', outcome: 'upgraded' });
  assert.equal(await page(vendor.webPort), 'web 2.0.0');
  const s = await agentStatus(stateDir);
  assertHealthyOn(s, '2.0.0');
  assert.equal(s.previous?.version, '1.0.0');
  assert.equal((await dockerExec(`${vendor.app}-worker-1`, 'cat /data/marker')).trim(), 'keep');
});

test('installing the same release again changes nothing', async () => {
  const before = await snapshot(vendor.engine, vendor.app, stateDir);
  const r = await install({ stateDir, bundle: bundle('v2-full'), ...FAST });
  assert.equal(r.outcome, 'unchanged');
  assert.deepEqual(await snapshot(vendor.engine, vendor.app, stateDir), before);
});

test('the installed release with other --values applies them through the same switch and health gate', async () => {
  const values = path.join(work, 'greeting.yaml');
  await writeFile(values, 'GREETING: salut\n');
  const r = await runCli(['agent', 'install', bundle('v2-full'), '--state', stateDir, '--values', values, ...FAST_FLAGS]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /@2\.0\.0: new values applied, healthy/);
  assert.equal(await dockerExec(`${vendor.app}-web-1`, 'printf %s "$GREETING"'), 'salut');
  const s = await agentStatus(stateDir);
  assertHealthyOn(s, '2.0.0');
  assert.equal(s.current?.values['GREETING'], 'salut');
  assert.equal(s.previous?.version, '1.0.0', 'the previous release stays the one to roll back to');
  assert.equal(s.history.at(-1)?.event, 'reconfigured');
  assert.equal((await install({ stateDir, bundle: bundle('v2-full'), valuesFile: values, ...FAST })).outcome, 'unchanged', 'the same values again change nothing');
});

test('v3 with a failing healthcheck is refused and rolled back to v2, the volume data intact', async () => {
  const r = await runCli(['agent', 'install', bundle('v3'), '--state', stateDir, ...FAST_FLAGS]);
  assert.equal(r.code, 1);
  const line = r.stderr.split('\n').find((l) => l.startsWith('skiff: '));
  assert.ok(line, r.stderr);
  assert.match(line, /3\.0\.0 service web failed/);
  assert.match(line, /rolled back to 2\.0\.0/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');

  assert.equal(await page(vendor.webPort), 'web 2.0.0');
  const s = await agentStatus(stateDir);
  assertHealthyOn(s, '2.0.0');
  assert.equal(s.previous?.version, '1.0.0', 'the failed release did not become the previous one');
  assert.equal(s.history.at(-1)?.event, 'rolled-back');
  assert.equal((await dockerExec(`${vendor.app}-worker-1`, 'cat /data/marker')).trim(), 'keep');
  await assert.rejects(access(path.join(stateDir, 'journal.json')));
});

test('operator rollback returns from v2 to v1 with the kept images, no bundle needed', async () => {
  assert.ok(await imageTagged('1.0.0'), 'v1 images are kept for rollback');
  const r = await rollback({ stateDir, ...FAST });
  assert.deepEqual(r, { app: vendor.app, from: '2.0.0', to: '1.0.0', outcome: 'upgraded' });
  assert.equal(await page(vendor.webPort), 'web 1.0.0');
  const s = await agentStatus(stateDir);
  assertHealthyOn(s, '1.0.0');
  assert.equal(s.previous?.version, '2.0.0');
  assert.equal((await dockerExec(`${vendor.app}-worker-1`, 'cat /data/marker')).trim(), 'keep');
});

test('after v1 → v2 → v4 only two releases keep their images', async () => {
  await install({ stateDir, bundle: bundle('v2-full'), ...FAST });
  const r = await install({ stateDir, bundle: bundle('v4'), ...FAST });
  assert.equal(r.to, '4.0.0');
  assert.equal(await page(vendor.webPort), 'web 4.0.0');
  assert.equal(await imageTagged('4.0.0'), true);
  assert.equal(await imageTagged('2.0.0'), true);
  assert.equal(await imageTagged('1.0.0'), false, 'v1 is pruned');
  assertHealthyOn(await agentStatus(stateDir), '4.0.0');
});

test('a delta bundle on an agent without its base is refused naming the base, nothing changed', async () => {
  const fresh = path.join(work, 'state-fresh');
  await assert.rejects(install({ stateDir: fresh, bundle: bundle('v2-delta'), trustFile: vendor.rootJson, ...FAST }), (e: unknown) => {
    assert.ok(isSkiffError(e, 'BASE_MISSING'), String(e));
    assert.match(e.message, /1\.0\.0/);
    return true;
  });
  const s = await agentStatus(fresh);
  assert.equal(s.current, undefined);
  assert.equal(s.operation, undefined);
  await assert.rejects(access(path.join(fresh, 'state.json')));
});

test('preflight refuses a release whose host port another program holds, naming it, nothing changed', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const values = path.join(work, 'values.yaml');
    await writeFile(values, `WEB_PORT: ${port}\n`);
    const before = await snapshot(vendor.engine, vendor.app, stateDir);
    await assert.rejects(install({ stateDir, bundle: bundle('v5'), valuesFile: values, ...FAST }), (e: unknown) => {
      assert.ok(isSkiffError(e, 'PREFLIGHT_FAILED'), String(e));
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}/tcp \\(service web\\)`));
      return true;
    });
    assert.deepEqual(await snapshot(vendor.engine, vendor.app, stateDir), before);
    assert.equal(await page(vendor.webPort), 'web 4.0.0');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
