// Rollout retries and the sites' maintenance windows, at a real hub database with the scheduler's injectable clock: a
// retry is told as "install now" (which the agent applies outside its windows), so a failed instance whose own or
// customer's window is closed is not retried until that window opens; one without windows is retried when due.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createRollout, stepRollout } from '../../src/hub/rollouts.ts';
import { putPlaceholderRelease } from '../helpers/checkin.ts';
import { bytes, makeRoot, startHub, type Hub } from './hub-fixture.ts';

/** Mondays 22:00–23:00 UTC. */
const WINDOW = [{ days: ['mon'], start: '22:00', end: '23:00', timeZone: 'UTC' }];
/** A Monday, 12:00 UTC: outside the window. */
const T0 = new Date('2026-03-02T12:00:00Z');
const at = (iso: string) => new Date(iso);

describe("rollout retries wait for the site's maintenance window", () => {
  let hub: Hub;
  let trustDir: string;
  const ids: Record<'own' | 'site' | 'free', string> = { own: '', site: '', free: '' };

  before(async () => {
    hub = await startHub();
    const { dir, root } = await makeRoot();
    trustDir = dir;
    await hub.db.mutate(async (tx) => {
      await tx.createApp('win', { version: 1, bytes: bytes(root) });
      for (const v of ['1.0.0', '2.0.0']) {
        await putPlaceholderRelease(tx, 'win', v);
        await tx.promote('win', 'stable', v, false);
      }
      const acme = await tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [{ app: 'win', channel: 'stable', expiresAt: null }] });
      const night = await tx.createCustomer({ name: 'nightly', airgapped: false, entitlements: [{ app: 'win', channel: 'stable', expiresAt: null }] });
      ids.own = (await tx.createInstance({ customerId: acme.id, app: 'win', name: 'own-window' })).id;
      ids.free = (await tx.createInstance({ customerId: acme.id, app: 'win', name: 'any-time' })).id;
      ids.site = (await tx.createInstance({ customerId: night.id, app: 'win', name: 'customer-window' })).id;
      await tx.setInstancePolicy(ids.own, { windows: WINDOW });
      await tx.setSitePolicy(night.id, 'win', { windows: WINDOW });
    }, { actor: 'test', action: 'test.seed', target: 'app:win', address: 'local' });
    for (const id of Object.values(ids)) await hub.db.reportInstance(id, { currentVersion: '1.0.0', health: 'healthy', report: {} });
  });

  after(async () => {
    await hub?.close();
    await rm(trustDir, { recursive: true, force: true });
  });

  it('retries each failed instance only once its own (or its customer’s) window is open', async () => {
    const audit = { actor: 'test', address: 'local' };
    const r = await createRollout(hub.db, { app: 'win', version: '2.0.0', groups: [{ percent: 100 }], successThreshold: 1, errorThreshold: 1, soakSeconds: 0, gates: [], windows: [], retries: 1, backoffSeconds: 60 }, audit, T0);
    assert.ok(await hub.db.rollouts.acquireLease('test', Date.now(), 600_000));
    const step = async (now: Date) => (await stepRollout(hub.db, (await hub.db.rollouts.get(r.id))!, 'test', now)).applied.filter((a) => a.kind === 'retry').map((a) => (a.kind === 'retry' ? a.instanceId : ''));
    assert.deepEqual(await step(T0), []);
    assert.notEqual((await hub.db.rollouts.progress(r.id, 1))[0]?.startedAt, null, 'the group started');
    for (const id of Object.values(ids)) await hub.db.rollouts.noteReport(id, 'win', '1.0.0', { version: '2.0.0', at: T0.toISOString(), reason: 'health check failed' });
    const installNow = async () => Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, (await hub.db.getInstance(id))?.installNow])));

    // The back-off (60 s) has passed; only the instance without windows is retried now.
    assert.deepEqual(await step(at('2026-03-02T12:05:00Z')), [ids.free]);
    assert.deepEqual(await installNow(), { own: false, site: false, free: true });
    assert.deepEqual(await step(at('2026-03-02T21:59:00Z')), [], 'still outside the window');
    assert.equal((await hub.db.rollouts.get(r.id))?.state, 'running', 'waiting for a window is no failure');

    // The window opens: both are retried (each once).
    assert.deepEqual((await step(at('2026-03-02T22:00:30Z'))).sort(), [ids.own, ids.site].sort());
    assert.deepEqual(await installNow(), { own: true, site: true, free: true });
    assert.deepEqual(await step(at('2026-03-02T22:01:00Z')), [], 'a retry is spent once');
  });
});
