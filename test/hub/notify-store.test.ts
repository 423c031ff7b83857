// The notification outbox on SQLite and PostgreSQL: two workers (replicas) racing for due deliveries never take the
// same one, a lease that ran out (a crashed worker) hands it back, attempts are logged in order, a silence is told
// once however many sweep it at once, and event rows commit or roll back with the change that emitted them.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openMetadataDb, openPostgresMetadataDb, type MetadataDb } from '../../src/hub/db/index.ts';
import { emit } from '../../src/hub/notify/index.ts';
import { seed } from '../helpers/hub-release.ts';
import { tempDatabase } from '../helpers/postgres.ts';

const backends: [string, () => Promise<{ a: MetadataDb; b: MetadataDb; done(): Promise<void> }>][] = [
  ['SQLite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-outbox-'));
    const a = await openMetadataDb({ dataDir: dir });
    return { a, b: a, done: async () => (await a.close(), await rm(dir, { recursive: true, force: true })) };
  }],
  ['PostgreSQL', async () => {
    const tmp = await tempDatabase();
    const a = openPostgresMetadataDb(tmp.url);
    const b = openPostgresMetadataDb(tmp.url);
    await Promise.all([a.migrate(), b.migrate()]);
    return { a, b, done: async () => (await a.close(), await b.close(), await tmp.drop()) };
  }],
];

for (const [name, open] of backends) {
  describe(`notification outbox on ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups) await c();
    });

    it('claims each due delivery once across two replicas, hands back an expired lease, and logs attempts', async () => {
      const { a, b, done } = await open();
      cleanups.push(done);
      const ids = await a.notify.enqueue(Array.from({ length: 20 }, (_, i) => ({ kind: 'webhook' as const, target: 't', event: 'release.published', payload: `{"n":${i}}` })));
      const [x, y] = await Promise.all([a.notify.claimDue(15, 60_000), b.notify.claimDue(15, 60_000)]);
      const rest = await a.notify.claimDue(50, 60_000);
      const taken = [...x!, ...y!, ...rest].map((d) => d.id);
      assert.equal(new Set(taken).size, taken.length, 'no delivery taken twice');
      assert.equal(taken.length, 20, 'what the racing replicas left is taken next');
      assert.deepEqual(await a.notify.claimDue(50, 60_000), [], 'leased rows are not due');
      const later = await b.notify.claimDue(50, 60_000, new Date(Date.now() + 61_000));
      assert.equal(later.length, 20, 'a lease that ran out (a worker died) hands the rows back');
      const first = ids[0]!;
      await a.notify.recordAttempt(first, { status: 500, durationMs: 12.4, error: 'the receiver answered 500', delivered: false, retryAt: new Date(Date.now() - 1).toISOString() });
      assert.deepEqual((await a.notify.claimDue(50, 60_000)).map((d) => d.id), [first], 'due again at its retry time');
      await a.notify.recordAttempt(first, { status: 204, durationMs: 3, error: null, delivered: true, retryAt: null });
      const [log] = (await a.notify.listDeliveries('t')).filter((d) => d.id === first);
      assert.equal(log?.state, 'delivered');
      assert.equal(log?.attempts, 2);
      assert.deepEqual(log?.log.map((l) => [l.status, l.durationMs, l.error]), [[500, 12, 'the receiver answered 500'], [204, 3, null]]);
    });

    it('tells a silence once, even swept by two replicas at once; an event rolls back with its change', async () => {
      const { a, b } = await open().then((o) => (cleanups.push(o.done), o));
      await seed(a, async (tx) => {
        await tx.createApp('quiet', { version: 1, bytes: new Uint8Array([123, 125]) });
        const c = await tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [{ app: 'quiet', channel: 'stable', expiresAt: null }] });
        const hook = { id: '00000000-0000-4000-8000-000000000001', url: 'http://127.0.0.1:9/h', secretSealed: 'x', events: ['*'], customerId: null };
        await tx.notify.addWebhook(hook);
        await tx.createInstance({ customerId: c.id, app: 'quiet', name: 'gw' });
      });
      const [inst] = await a.listFleet({});
      await a.reportInstance(inst!.id, { currentVersion: null, health: 'healthy' });
      const item = { kind: 'webhook' as const, target: 'silence', event: 'instance.silent', payload: '{}' };
      const future = new Date(Date.now() + 1000).toISOString();
      const told = await Promise.all([a.notify.tellNewSilences(future, () => [item]), b.notify.tellNewSilences(future, () => [item])]);
      assert.equal(told[0]! + told[1]!, 1, 'one of the two sweeps tells it');
      assert.equal(await a.notify.tellNewSilences(future, () => [item]), 0, 'and no later sweep');
      assert.equal((await a.notify.listDeliveries('silence')).length, 1);

      await assert.rejects(a.mutate(async (tx) => {
        await emit(tx, { type: 'release.published', data: {}, customerIds: [] });
        throw new Error('the change is refused');
      }, { actor: 'test', action: 'x', target: 'x', address: 'local' }));
      assert.equal((await a.notify.listDeliveries('00000000-0000-4000-8000-000000000001')).length, 0, 'no event for a change that did not commit');
      await a.mutate((tx) => emit(tx, { type: 'release.published', data: {}, customerIds: [] }), { actor: 'test', action: 'x', target: 'x', address: 'local' });
      assert.equal((await a.notify.listDeliveries('00000000-0000-4000-8000-000000000001')).length, 1);
    });
  });
}
