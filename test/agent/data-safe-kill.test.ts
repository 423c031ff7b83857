// kill -9 at every step of an upgrade whose pre-upgrade hook migrates the `data` volume, against the real engine: the
// agent converges on the old release with the old data or the new one with the migrated data, never a mix. (Apart from
// test/agent/data-safe.test.ts so that the two run side by side: each step is a whole CLI run.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resume } from '../../src/agent/index.ts';
import { FAST, FAST_FLAGS, runCli } from '../helpers/agent.ts';
import { setUpDataSafe, type DataSafeApp } from '../helpers/data-safe.ts';

let app: DataSafeApp;

before(async () => {
  app = await setUpDataSafe('skdak', ['2.0.0', '3.0.0']);
});
after(async () => {
  await app?.cleanup();
});

/** Runs `agent install` of `version` killed at `step`, then resumes in process. */
async function killedAt(version: '2.0.0' | '3.0.0', step: string): Promise<void> {
  const r = await runCli(['agent', 'install', app.bundles.get(version)!, '--state', app.stateDir, ...FAST_FLAGS], { SKIFF_TEST_KILL_AT: step });
  assert.equal(r.signal, 'SIGKILL', `killed at ${step} (exit ${r.code}: ${r.stderr})`);
  await resume({ stateDir: app.stateDir, ...FAST });
}

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
    await killedAt('2.0.0', step);
    await app.assertOn('1.0.0', app.original);
  }
});

/** Where a healthy 1.0.0 → 3.0.0 ends when killed after its switch: the new release with the migrated data (or, killed in the post-upgrade hook, the old with the old). */
const HEALTHY_ENDS: readonly [string, '1.0.0' | '3.0.0'][] = [['health-checking', '3.0.0'], ['hook:post-upgrade:started', '1.0.0'], ['committed', '3.0.0']];

test('kill -9 after the switch of a healthy upgrade that migrates: 3.0.0 with the migrated data, or 1.0.0 with the old', async () => {
  for (const [step, endsOn] of HEALTHY_ENDS) {
    await killedAt('3.0.0', step);
    await app.assertOn(endsOn, endsOn === '1.0.0' ? app.original : app.migrated);
    await app.reset();
  }
});
