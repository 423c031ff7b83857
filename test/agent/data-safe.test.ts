// Upgrades that never lose data, against the real engine: a pre-upgrade hook migrates the `data` volume (marked for
// snapshots); when the new release then fails health, or the hook fails or hangs, the agent rolls back with the volume
// byte-identical to before; a healthy upgrade keeps the migrated data and lists the old data's snapshot. (kill -9 at
// every step of such an upgrade: test/agent/data-safe-kill.test.ts.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { agentStatus, install, listSnapshots } from '../../src/agent/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, runCli } from '../helpers/agent.ts';
import { setUpDataSafe, type DataSafeApp } from '../helpers/data-safe.ts';

let app: DataSafeApp;
const bundle = (v: '2.0.0' | '2.1.0' | '2.2.0' | '3.0.0'): string => app.bundles.get(v)!;

before(async () => {
  app = await setUpDataSafe('skdat', ['2.0.0', '2.1.0', '2.2.0', '3.0.0']);
});
after(async () => {
  await app?.cleanup();
});

test('a pre-upgrade hook migrates the volume, the service then fails health: rolled back, the volume byte-identical to before', async () => {
  await assert.rejects(install({ stateDir: app.stateDir, bundle: bundle('2.0.0'), ...FAST }), (e: unknown) => isSkiffError(e, 'HEALTH_FAILED') && /rolled back to 1\.0\.0/.test(e.message));
  await app.assertOn('1.0.0', app.original);
  const snaps = await listSnapshots(app.stateDir);
  assert.equal(snaps.at(-1)?.release, '1.0.0');
  assert.deepEqual(snaps.at(-1)?.volumes.map((v) => v.name), ['data']);
});

test('a failing hook is a failed upgrade, rolled back with its snapshot; the reason quotes its last output lines', async () => {
  await assert.rejects(install({ stateDir: app.stateDir, bundle: bundle('2.1.0'), ...FAST }), (e: unknown) => {
    assert.ok(isSkiffError(e, 'HOOK_FAILED'), String(e));
    assert.match(e.message, /hook pre-upgrade .* exited 3; its last output: /);
    assert.match(e.message, /its last output: .*step one/);
    assert.match(e.message, /its last output: .*schema 7 is broken/);
    return true;
  });
  await app.assertOn('1.0.0', app.original);
  assert.match((await agentStatus(app.stateDir)).history.at(-1)?.detail ?? '', /schema 7 is broken/);
});

test('a hanging hook is timed out and rolled back, the volume as before', async () => {
  const t0 = Date.now();
  await assert.rejects(install({ stateDir: app.stateDir, bundle: bundle('2.2.0'), ...FAST }), (e: unknown) => isSkiffError(e, 'HOOK_FAILED') && /did not finish within 2 s; its last output: waiting for a lock/.test(e.message));
  assert.ok(Date.now() - t0 < 60_000);
  await app.assertOn('1.0.0', app.original);
});

test('a marked volume larger than the snapshot budget is a preflight error naming it and the setting, nothing changed', async () => {
  await assert.rejects(
    install({ stateDir: app.stateDir, bundle: bundle('3.0.0'), ...FAST, snapshots: { budgetBytes: 4096, keep: 2 } }),
    (e: unknown) => isSkiffError(e, 'PREFLIGHT_FAILED') && e.message.includes(`volume data (${app.vendor.app}_data)`) && e.message.includes('--snapshot-budget'),
  );
  await app.assertOn('1.0.0', app.original);
});

test('a healthy upgrade keeps the migrated data and lists the snapshot of the old data', async () => {
  await install({ stateDir: app.stateDir, bundle: bundle('3.0.0'), ...FAST });
  await app.assertOn('3.0.0', app.migrated);
  const r = await runCli(['agent', 'snapshots', '--state', app.stateDir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as { id: string; release: string; before: string }[];
  assert.deepEqual([listed.at(-1)?.release, listed.at(-1)?.before], ['1.0.0', '3.0.0']);
  // Restored by hand: the data of 1.0.0 comes back under the release that runs.
  const restored = await runCli(['agent', 'snapshots', 'restore', listed.at(-1)!.id, '--state', app.stateDir, '--stop-timeout', '1']);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(await app.fingerprint(), app.original);
  await app.reset();
});
