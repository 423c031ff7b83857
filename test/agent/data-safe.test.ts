// Upgrades that never lose data, against the real engine: a pre-upgrade hook migrates the `data` volume (marked for
// snapshots); when the new release then fails health, or the hook fails or hangs, the agent rolls back with the volume
// byte-identical to before; kill -9 at every step of such an upgrade converges on the old release with the old data
// or the new one with the migrated data, never a mix.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { agentStatus, install, listSnapshots, resume, rollback } from '../../src/agent/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, FAST_FLAGS, cleanupApp, dockerExec, makeBundle, removeDir, runCli, tempDir } from '../helpers/agent.ts';
import { makeVendor, type ComposeDoc, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;
let work: string;
let stateDir: string;
const bundles = new Map<string, string>();

/** Release options: `data` marked for snapshots, a worker that only sleeps (so restarts leave the volume as it is), hooks. */
function withHooks(hooks: Record<string, unknown>): (doc: ComposeDoc) => void {
  return (doc) => {
    doc.services['worker']!['command'] = ['sleep', '3600'];
    doc['x-skiff'] = { ...(doc['x-skiff'] as Record<string, unknown>), volumes: { data: { snapshot: true } }, hooks };
  };
}

const MIGRATE = { service: 'worker', command: ['sh', '-c', 'echo migrating; echo v2 > /data/schema; rm /data/sub/old; echo done > /data/migrated; echo migrated'] };

const VERSIONS = {
  '1.0.0': { edit: withHooks({}) },
  // Migrates, then web never becomes healthy.
  '2.0.0': { health: 'fail', edit: withHooks({ 'pre-upgrade': MIGRATE }) },
  '2.1.0': { edit: withHooks({ 'pre-upgrade': { service: 'worker', command: ['sh', '-c', 'echo step one; echo half > /data/schema; echo "schema 7 is broken" >&2; exit 3'] } }) },
  '2.2.0': { edit: withHooks({ 'pre-upgrade': { service: 'worker', command: ['sh', '-c', 'echo waiting for a lock; echo half > /data/schema; sleep 600'], timeout: '2s' } }) },
  '3.0.0': { edit: withHooks({ 'pre-upgrade': MIGRATE, 'post-upgrade': { service: 'worker', command: ['sh', '-c', 'test -f /data/migrated'] } }) },
} as const;

const SEED = 'rm -rf /data/* && echo v1 > /data/schema && mkdir -p /data/sub && echo keep > /data/sub/old && seq 1 20000 > /data/blob && chown 65534:65534 /data/sub/old && chmod 600 /data/sub/old';
/** Names, modes, owners, sizes and sha256 of everything in /data: equal means byte-identical. */
const FINGERPRINT = 'cd /data && find . | sort | while read f; do stat -c "%n %a %u %g %F" "$f"; [ -f "$f" ] && sha256sum "$f"; done; true';

const worker = (): string => `${vendor.app}-worker-1`;
const fingerprint = async (): Promise<string> => dockerExec(worker(), FINGERPRINT);
let original: string;
let migrated: string;

before(async () => {
  vendor = await makeVendor('skdat');
  work = await tempDir('skiff-data-safe');
  stateDir = path.join(work, 'state');
  for (const [version, opts] of Object.entries(VERSIONS)) {
    await vendor.createVersion(version, opts);
    bundles.set(version, (await makeBundle(vendor.store, vendor.app, version, path.join(work, `${version}.skiff`))).file);
  }
  await install({ stateDir, bundle: bundles.get('1.0.0')!, trustFile: vendor.rootJson, ...FAST });
  await dockerExec(worker(), SEED);
  original = await fingerprint();
  await dockerExec(worker(), 'echo v2 > /data/schema; rm /data/sub/old; echo done > /data/migrated');
  migrated = await fingerprint();
  await dockerExec(worker(), SEED);
  assert.equal(await fingerprint(), original, 'the seed is deterministic');
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

async function assertOn(version: string, data: string): Promise<void> {
  const s = await agentStatus(stateDir);
  assert.equal(s.operation, undefined, 'no operation left in flight');
  assert.equal(s.current?.version, version);
  assert.deepEqual(s.services.map((x) => [x.service, x.release, x.state]), [['web', version, 'running'], ['worker', version, 'running']]);
  assert.equal(await fingerprint(), data, `the data of ${version}`);
}

/** Back to 1.0.0 with the original data, where every case starts. */
async function reset(): Promise<void> {
  if ((await agentStatus(stateDir)).current?.version !== '1.0.0') await rollback({ stateDir, ...FAST });
  await dockerExec(worker(), SEED);
  await assertOn('1.0.0', original);
}

test('a pre-upgrade hook migrates the volume, the service then fails health: rolled back, the volume byte-identical to before', async () => {
  await assert.rejects(install({ stateDir, bundle: bundles.get('2.0.0')!, ...FAST }), (e: unknown) => isSkiffError(e, 'HEALTH_FAILED') && /rolled back to 1\.0\.0/.test(e.message));
  await assertOn('1.0.0', original);
  const snaps = await listSnapshots(stateDir);
  assert.equal(snaps.at(-1)?.release, '1.0.0');
  assert.deepEqual(snaps.at(-1)?.volumes.map((v) => v.name), ['data']);
});

test('a failing hook is a failed upgrade, rolled back with its snapshot; the reason quotes its last output lines', async () => {
  await assert.rejects(install({ stateDir, bundle: bundles.get('2.1.0')!, ...FAST }), (e: unknown) => {
    assert.ok(isSkiffError(e, 'HOOK_FAILED'), String(e));
    assert.match(e.message, /hook pre-upgrade .* exited 3; its last output: /);
    assert.match(e.message, /its last output: .*step one/);
    assert.match(e.message, /its last output: .*schema 7 is broken/);
    return true;
  });
  await assertOn('1.0.0', original);
  assert.match((await agentStatus(stateDir)).history.at(-1)?.detail ?? '', /schema 7 is broken/);
});

test('a hanging hook is timed out and rolled back, the volume as before', async () => {
  const t0 = Date.now();
  await assert.rejects(install({ stateDir, bundle: bundles.get('2.2.0')!, ...FAST }), (e: unknown) => isSkiffError(e, 'HOOK_FAILED') && /did not finish within 2 s; its last output: waiting for a lock/.test(e.message));
  assert.ok(Date.now() - t0 < 60_000);
  await assertOn('1.0.0', original);
});

/**
 * Every step of 1.0.0 → 2.0.0 (snapshot, the hook migrates, the worker kept but restarted, web swapped, then web is
 * unhealthy) and of its way back (restore, then 1.0.0's containers): killed at any of them, the agent converges on
 * 1.0.0 with the data byte-identical to before.
 */
const MIGRATED_THEN_UNHEALTHY = [
  'fetching', 'verified', 'staged', 'snapshot', 'quiesced', 'snapshot:data', 'pre-hooks', 'hook:pre-upgrade:started',
  'switching', 'swap:worker:restarted', 'swap:web:created', 'swap:web:stopped', 'swap:web:renamed', 'swap:web:started', 'swap:web:removed',
  'health-checking', 'rolling-back', 'restore:data', 'back:web:stopped', 'back:web:renamed', 'rolled-back',
];

test('kill -9 at every step of an upgrade that migrates and then fails health: each converges on 1.0.0 with the old data', async () => {
  for (const step of MIGRATED_THEN_UNHEALTHY) {
    const r = await runCli(['agent', 'install', bundles.get('2.0.0')!, '--state', stateDir, ...FAST_FLAGS], { SKIFF_TEST_KILL_AT: step });
    assert.equal(r.signal, 'SIGKILL', `killed at ${step} (exit ${r.code}: ${r.stderr})`);
    await resume({ stateDir, ...FAST });
    await assertOn('1.0.0', original);
  }
});

test('a marked volume larger than the snapshot budget is a preflight error naming it and the setting, nothing changed', async () => {
  await assert.rejects(
    install({ stateDir, bundle: bundles.get('3.0.0')!, ...FAST, snapshots: { budgetBytes: 4096, keep: 2 } }),
    (e: unknown) => isSkiffError(e, 'PREFLIGHT_FAILED') && e.message.includes(`volume data (${vendor.app}_data)`) && e.message.includes('--snapshot-budget'),
  );
  await assertOn('1.0.0', original);
});

test('a healthy upgrade keeps the migrated data and lists the snapshot of the old data', async () => {
  await install({ stateDir, bundle: bundles.get('3.0.0')!, ...FAST });
  await assertOn('3.0.0', migrated);
  const r = await runCli(['agent', 'snapshots', '--state', stateDir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as { id: string; release: string; before: string }[];
  assert.deepEqual([listed.at(-1)?.release, listed.at(-1)?.before], ['1.0.0', '3.0.0']);
  // Restored by hand: the data of 1.0.0 comes back under the release that runs.
  const restored = await runCli(['agent', 'snapshots', 'restore', listed.at(-1)!.id, '--state', stateDir, '--stop-timeout', '1']);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(await fingerprint(), original);
  await reset();
});

/** Where a healthy 1.0.0 → 3.0.0 ends when killed after its switch: the new release with the migrated data (or, killed in the post-upgrade hook, the old with the old). */
const HEALTHY_ENDS: readonly [string, '1.0.0' | '3.0.0'][] = [['health-checking', '3.0.0'], ['hook:post-upgrade:started', '1.0.0'], ['committed', '3.0.0']];

test('kill -9 after the switch of a healthy upgrade that migrates: 3.0.0 with the migrated data, or 1.0.0 with the old', async () => {
  for (const [step, endsOn] of HEALTHY_ENDS) {
    const r = await runCli(['agent', 'install', bundles.get('3.0.0')!, '--state', stateDir, ...FAST_FLAGS], { SKIFF_TEST_KILL_AT: step });
    assert.equal(r.signal, 'SIGKILL', `killed at ${step} (exit ${r.code}: ${r.stderr})`);
    await resume({ stateDir, ...FAST });
    await assertOn(endsOn, endsOn === '1.0.0' ? original : migrated);
    await reset();
  }
});
