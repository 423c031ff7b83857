// kill -9 at each journal step (SKIFF_TEST_KILL_AT), then `skiff agent resume`: the agent converges on the old
// release (or values) or the new one, never in between, with the named volume's data intact.
import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PHASES, agentStatus, install, resume, rollback, type Phase } from '../../src/agent/index.ts';
import { Label } from '../../src/oci/constants.ts';
import type { StoredRelease } from '../../src/release/index.ts';
import { FAST, FAST_FLAGS, cleanupApp, dockerExec, forgetImages, makeBundle, page, removeDir, runCli, tempDir } from '../helpers/agent.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;
let work: string;
let stateDir: string;
const files = new Map<string, string>();

before(async () => {
  vendor = await makeVendor('skkil');
  work = await tempDir('skiff-agent-kill');
  stateDir = path.join(work, 'state');
  const releases: StoredRelease[] = [];
  for (const [version, health] of [['1.0.0', 'ok'], ['2.0.0', 'ok'], ['3.0.0', 'fail']] as const) {
    releases.push(await vendor.createVersion(version, { health }));
    files.set(version, (await makeBundle(vendor.store, vendor.app, version, path.join(work, `${version}.skiff`))).file);
  }
  await forgetImages(vendor.engine, releases.flatMap((r) => Object.values(r.manifest.images).map((i) => i.configDigest)));
  const r = await install({ stateDir, bundle: files.get('1.0.0')!, trustFile: vendor.rootJson, ...FAST });
  assert.equal(r.outcome, 'installed');
  await dockerExec(`${vendor.app}-worker-1`, 'echo keep > /data/marker');
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

async function containerIds(): Promise<string[]> {
  return (await vendor.engine.containerList({ label: [`${Label.app}=${vendor.app}`] })).map((c) => c.id).sort();
}

/** Runs `agent install <version>` with the kill hook at `phase`, and checks the journal was left at that phase. */
async function installKilledAt(version: string, phase: Phase): Promise<void> {
  const r = await runCli(['agent', 'install', files.get(version)!, '--state', stateDir, ...FAST_FLAGS], { SKIFF_TEST_KILL_AT: phase });
  assert.equal(r.signal, 'SIGKILL', `the agent died by SIGKILL at ${phase} (exit ${r.code}: ${r.stderr})`);
  const s = await agentStatus(stateDir);
  assert.equal(s.operation?.phase, phase, 'the journal names the phase it was killed at');
  assert.equal(s.operation?.to, version);
}

/**
 * Resumes (the CLI's `agent resume`, or the library call it makes, which is faster on a busy host), then: no
 * journal, on `version`, every container of that release and healthy, the data kept.
 */
async function resumeConvergesOn(version: string, via: 'cli' | 'library' = 'library'): Promise<void> {
  if (via === 'cli') {
    const r = await runCli(['agent', 'resume', '--state', stateDir, '--stop-timeout', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`release\\s+${version.replaceAll('.', '\\.')}`));
  } else {
    await resume({ stateDir, ...FAST });
  }
  await assert.rejects(access(path.join(stateDir, 'journal.json')), 'the journal is gone');
  await assertOn(version);
}

async function assertOn(version: string): Promise<void> {
  const s = await agentStatus(stateDir);
  assert.equal(s.operation, undefined);
  assert.equal(s.current?.version, version);
  assert.deepEqual(s.services.map((x) => [x.service, x.container.replace(/^\//, '')]), [
    ['web', `${vendor.app}-web-1`],
    ['worker', `${vendor.app}-worker-1`],
  ]);
  for (const svc of s.services) {
    assert.equal(svc.release, version, `${svc.service} carries release ${version}`);
    assert.equal(svc.state, 'running');
  }
  assert.equal(s.services[0]?.health, 'healthy');
  assert.equal(await page(vendor.webPort), `web ${version}`);
  assert.equal((await dockerExec(`${vendor.app}-worker-1`, 'cat /data/marker')).trim(), 'keep');
}

const UPGRADE: readonly Phase[] = ['fetching', 'verified', 'staged', 'switching', 'health-checking', 'committed'];
/** Killed at in test/agent/data-safe.test.ts, with a release that has a snapshot volume and hooks. */
const DATA_SAFE: readonly Phase[] = ['snapshot', 'pre-hooks', 'post-hooks'];

test('the install path journals every phase this file (or data-safe.test.ts) kills at', () => {
  assert.deepEqual([...UPGRADE, ...DATA_SAFE, 'rolling-back', 'rolled-back'].sort(), [...PHASES].sort());
});

// Ordered so that every case but the last two starts on 1.0.0, where the one before it left the agent.
for (const phase of ['fetching', 'verified', 'staged'] as const) {
  test(`killed at ${phase} during 1.0.0 → 2.0.0: resume leaves 1.0.0 running, untouched`, async () => {
    const before = await containerIds();
    await installKilledAt('2.0.0', phase);
    await resumeConvergesOn('1.0.0');
    assert.deepEqual(await containerIds(), before, 'nothing was switched');
  });
}

test('killed at switching during 1.0.0 → 2.0.0: resume rolls back to 1.0.0', async () => {
  await installKilledAt('2.0.0', 'switching');
  await resumeConvergesOn('1.0.0');
  const s = await agentStatus(stateDir);
  assert.equal(s.history.at(-1)?.event, 'rolled-back');
  assert.equal(s.previous, undefined, 'nothing ran before 1.0.0');
});

test('killed at health-checking during 1.0.0 → 3.0.0 (unhealthy): resume checks health again and rolls back to 1.0.0', async () => {
  await installKilledAt('3.0.0', 'health-checking');
  await resumeConvergesOn('1.0.0', 'cli');
  const s = await agentStatus(stateDir);
  assert.equal(s.history.at(-1)?.event, 'rolled-back');
  assert.match(s.history.at(-1)?.detail ?? '', /service web failed/);
});

test('killed at health-checking during 1.0.0 → 2.0.0 (healthy): resume checks health and completes 2.0.0, not a rollback', async () => {
  await installKilledAt('2.0.0', 'health-checking');
  await resumeConvergesOn('2.0.0');
  assert.equal((await agentStatus(stateDir)).history.at(-1)?.event, 'upgraded');
  // Back to 1.0.0, where the next cases start.
  await rollback({ stateDir, ...FAST });
  await assertOn('1.0.0');
});

for (const phase of ['rolling-back', 'rolled-back'] as const) {
  test(`killed at ${phase} while a failing 3.0.0 rolls back: resume ends on 1.0.0`, async () => {
    await installKilledAt('3.0.0', phase);
    await resumeConvergesOn('1.0.0');
    assert.equal((await agentStatus(stateDir)).history.at(-1)?.event, 'rolled-back');
  });
}

test('killed at committed: resume completes the upgrade to 2.0.0', async () => {
  await installKilledAt('2.0.0', 'committed');
  await resumeConvergesOn('2.0.0', 'cli');
  const s = await agentStatus(stateDir);
  assert.equal(s.previous?.version, '1.0.0');
  assert.equal(s.history.at(-1)?.event, 'upgraded');
});

test('an operator rollback killed at committed is finished by the next command, whichever it is', async () => {
  const r = await runCli(['agent', 'rollback', '--state', stateDir, ...FAST_FLAGS], { SKIFF_TEST_KILL_AT: 'committed' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  const s = await agentStatus(stateDir);
  assert.deepEqual([s.operation?.op, s.operation?.phase, s.operation?.to], ['rollback', 'committed', '1.0.0'], 'status reports the interrupted operation');
  const again = await install({ stateDir, bundle: files.get('1.0.0')!, ...FAST });
  assert.equal(again.outcome, 'unchanged', 'the rollback was completed first, so 1.0.0 is what runs');
  await assertOn('1.0.0');
  assert.equal((await agentStatus(stateDir)).previous?.version, '2.0.0');
});

/** `agent install` of the installed 1.0.0 with other values, killed at `phase`. */
async function reconfigureKilledAt(phase: Phase, greeting = 'salut'): Promise<void> {
  const values = path.join(work, 'greeting.yaml');
  await writeFile(values, `GREETING: ${greeting}\n`);
  const r = await runCli(['agent', 'install', files.get('1.0.0')!, '--state', stateDir, '--values', values, ...FAST_FLAGS], { SKIFF_TEST_KILL_AT: phase });
  assert.equal(r.signal, 'SIGKILL', `the agent died by SIGKILL at ${phase} (exit ${r.code}: ${r.stderr})`);
  const s = await agentStatus(stateDir);
  assert.deepEqual([s.operation?.op, s.operation?.phase, s.operation?.to], ['reconfigure', phase, '1.0.0']);
}

const greeting = async (): Promise<string> => dockerExec(`${vendor.app}-web-1`, 'printf %s "$GREETING"');

test('new values killed at switching: resume returns to the old values', async () => {
  await reconfigureKilledAt('switching');
  await resumeConvergesOn('1.0.0');
  assert.equal(await greeting(), 'hello');
  const s = await agentStatus(stateDir);
  assert.equal(s.current?.values['GREETING'], 'hello');
  assert.deepEqual([s.history.at(-1)?.event, s.history.at(-1)?.from, s.history.at(-1)?.to], ['rolled-back', '1.0.0', '1.0.0']);
});

test('new values killed at health-checking: resume checks health and, healthy, completes them', async () => {
  await reconfigureKilledAt('health-checking', 'bonjour');
  await resumeConvergesOn('1.0.0');
  assert.equal(await greeting(), 'bonjour');
  assert.equal((await agentStatus(stateDir)).history.at(-1)?.event, 'reconfigured');
});

test('new values killed at committed: resume completes them, recorded once', async () => {
  const before = (await agentStatus(stateDir)).history.length;
  await reconfigureKilledAt('committed');
  await resumeConvergesOn('1.0.0');
  assert.equal(await greeting(), 'salut');
  const s = await agentStatus(stateDir);
  assert.equal(s.current?.values['GREETING'], 'salut');
  assert.deepEqual(s.history.slice(before).map((h) => h.event), ['reconfigured']);
  assert.equal(s.previous?.version, '2.0.0', 'still the release an operator rolls back to');
});
