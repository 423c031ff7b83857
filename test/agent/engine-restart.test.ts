// The Docker Engine restarted under a live agent in the middle of an upgrade: a private dockerd (the shared one is
// never touched), the agent held at a journaled step (SKIFF_TEST_PAUSE_AT), the engine stopped (or killed) and started
// again, the agent let go. It (or `agent resume` after it) leaves the app whole on the old or the new release — every
// service of one release, running, healthy — with the named volume's data intact.
import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { agentStatus, install, rollback } from '../../src/agent/index.ts';
import { FAST, FAST_FLAGS, dockerExec, makeBundle, page, removeDir, runCli, tempDir } from '../helpers/agent.ts';
import { startPrivateDockerd, type PrivateDockerd } from '../helpers/private-dockerd.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;
let dockerd: PrivateDockerd;
let work: string;
let stateDir: string;
const files = new Map<string, string>();
const sharedDockerHost = process.env.DOCKER_HOST;

before(async () => {
  vendor = await makeVendor('skrst');
  work = await tempDir('skiff-engine-restart');
  stateDir = path.join(work, 'state');
  for (const version of ['1.0.0', '2.0.0']) {
    await vendor.createVersion(version);
    files.set(version, (await makeBundle(vendor.store, vendor.app, version, path.join(work, `${version}.skiff`))).file);
  }
  dockerd = await startPrivateDockerd('skrst');
  // From here on every engine client of this process and of the CLI it runs (the agent, docker exec) uses the private one.
  process.env.DOCKER_HOST = dockerd.host;
  const r = await install({ stateDir, bundle: files.get('1.0.0')!, trustFile: vendor.rootJson, ...FAST });
  assert.equal(r.outcome, 'installed');
  await dockerExec(`${vendor.app}-worker-1`, 'echo keep > /data/marker');
});

after(async () => {
  await dockerd?.remove();
  if (sharedDockerHost === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = sharedDockerHost;
  await vendor?.cleanup();
  await removeDir(work);
});

async function reached(marker: string, agent: Promise<unknown>): Promise<void> {
  let done = false;
  void agent.finally(() => (done = true));
  for (let i = 0; i < 1200 && !done; i++) {
    if (await access(marker).then(() => true, () => false)) return;
    await sleep(100);
  }
  assert.fail(`the agent did not reach its pause point (${done ? 'it exited first' : 'within 120 s'})`);
}

/**
 * `agent install 2.0.0` held at `step`, the engine restarted under it, then let go; then `agent resume` if the agent
 * left a journal. Returns the release the site converged on.
 */
async function upgradeWithEngineRestartAt(step: string, how: 'stop' | 'kill'): Promise<string> {
  const pause = path.join(work, `pause-${step.replaceAll(':', '-')}`);
  await writeFile(pause, '');
  const agent = runCli(['agent', 'install', files.get('2.0.0')!, '--state', stateDir, ...FAST_FLAGS], { SKIFF_TEST_PAUSE_AT: step, SKIFF_TEST_PAUSE_FILE: pause });
  await reached(`${pause}.reached`, agent);
  assert.equal((await agentStatus(stateDir)).operation?.to, '2.0.0', 'held in the middle of the upgrade');
  await dockerd.restart(how);
  await removeDir(pause);
  const r = await agent;
  assert.equal(r.signal, null, r.stderr);
  const s = await agentStatus(stateDir);
  if (s.operation) {
    const resumed = await runCli(['agent', 'resume', '--state', stateDir, ...FAST_FLAGS]);
    assert.equal(resumed.code, 0, `agent install exited ${r.code}: ${r.stderr}\nresume: ${resumed.stderr}`);
  }
  return assertWhole(`agent install exited ${r.code}: ${r.stderr}`);
}

/** One release, every service of it running and healthy, the page it serves, the volume's data kept. */
async function assertWhole(context: string): Promise<string> {
  const s = await agentStatus(stateDir);
  assert.equal(s.operation, undefined, context);
  const version = s.current?.version;
  assert.ok(version === '1.0.0' || version === '2.0.0', context);
  assert.deepEqual(s.services.map((x) => x.service), ['web', 'worker']);
  for (const svc of s.services) {
    assert.equal(svc.release, version, `${svc.service} carries release ${version}: ${context}`);
    assert.equal(svc.state, 'running', `${svc.service} runs: ${context}`);
  }
  assert.equal(s.services[0]?.health, 'healthy', context);
  assert.equal(await page(vendor.webPort), `web ${version}`);
  assert.equal((await dockerExec(`${vendor.app}-worker-1`, 'cat /data/marker')).trim(), 'keep');
  return version;
}

test('the engine stopped and started while web is swapped (old container stopped): the app ends whole, data kept', async (t) => {
  const on = await upgradeWithEngineRestartAt('swap:web:stopped', 'stop');
  t.diagnostic(`converged on ${on}`);
  if (on === '2.0.0') await rollback({ stateDir, ...FAST });
  await assertWhole('back on 1.0.0 for the next case');
});

test('the engine killed (-9) and started again during the health check: the app ends whole, data kept', async (t) => {
  t.diagnostic(`converged on ${await upgradeWithEngineRestartAt('health-checking', 'kill')}`);
});
