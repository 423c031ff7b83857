// The observability store on both metadata backends: grouped fleet counts, per-instance signals, the bounded metrics
// history, and alert transitions that only one caller (one replica) gets to record.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openPostgresMetadataDb, openSqliteMetadataDb, type MetadataDb } from '../../src/hub/db/index.ts';
import { METRICS_HISTORY } from '../../src/hub/db/sql-observe.ts';
import { tempDatabase } from '../helpers/postgres.ts';

const BACKENDS: Record<string, () => Promise<{ db: MetadataDb; cleanup: () => Promise<void> }>> = {
  sqlite: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-observe-'));
    const db = openSqliteMetadataDb(join(dir, 'hub.db'));
    return { db, cleanup: async () => { await db.close(); await rm(dir, { recursive: true, force: true }); } };
  },
  postgres: async () => {
    const tmp = await tempDatabase();
    const db = openPostgresMetadataDb(tmp.url);
    return { db, cleanup: async () => { await db.close(); await tmp.drop(); } };
  },
};

for (const [name, open] of Object.entries(BACKENDS)) {
  describe(`observability store (${name})`, () => {
    it('counts, signals, metrics history and single-writer alert transitions', async () => {
      const { db, cleanup } = await open();
      try {
        await db.migrate();
        const ids = await db.mutate(async (tx) => {
          await tx.createApp('obs', { version: 1, bytes: Buffer.from('{}') });
          const c = await tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [{ app: 'obs', channel: 'stable', expiresAt: null }] });
          const made = [];
          for (let i = 0; i < 3; i++) made.push((await tx.createInstance({ customerId: c.id, app: 'obs', name: `i${i}` })).id);
          return made;
        }, { actor: 'test', action: 'seed', target: 'obs', address: 'local' });
        const [a, b, c] = ids as [string, string, string];
        await db.reportInstance(a, { currentVersion: '1.0.0', health: 'healthy' });
        await db.reportInstance(b, { currentVersion: '1.0.0', health: 'unhealthy' });
        assert.deepEqual(await db.observe.fleetCounts(), [
          { app: 'obs', version: '1.0.0', health: 'healthy', count: 1 },
          { app: 'obs', version: '1.0.0', health: 'unhealthy', count: 1 },
          { app: 'obs', version: null, health: null, count: 1 },
        ]);

        const metrics = { at: '2026-01-01T00:00:00.000Z', containers: [{ service: 'web', restarts: 1, cpuRatio: 0.5, memoryBytes: 10, memoryLimitBytes: 100 }], diskFree: { stateDir: 5, engineRoot: null } };
        for (let i = 0; i < METRICS_HISTORY + 3; i++) await db.observe.recordObservations(a, { at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), failedRelease: null, metrics });
        const history = await db.observe.metricsHistory(a);
        assert.equal(history.length, METRICS_HISTORY);
        assert.equal(history[0]?.at, new Date(Date.UTC(2026, 0, 1, 0, 3)).toISOString());
        await db.observe.recordObservations(c, { at: metrics.at, failedRelease: { version: '2.0.0', at: metrics.at, reason: 'hook failed' }, metrics: null });
        const signals = await db.observe.instanceSignals();
        assert.deepEqual(signals.find((s) => s.id === a)?.metrics, metrics);
        assert.deepEqual(signals.find((s) => s.id === c)?.failedRelease, { version: '2.0.0', at: metrics.at, reason: 'hook failed' });

        const at = '2026-01-02T00:00:00.000Z';
        const fired = await Promise.all([db.observe.fireAlert('instance-unhealthy', b, at, { x: 1 }), db.observe.fireAlert('instance-unhealthy', b, at, { x: 1 })]);
        assert.deepEqual(fired.sort(), [false, true]);
        assert.equal(await db.observe.resolveAlert('instance-unhealthy', b, at), true);
        assert.equal(await db.observe.resolveAlert('instance-unhealthy', b, at), false);
        assert.equal(await db.observe.fireAlert('instance-unhealthy', b, '2026-01-03T00:00:00.000Z', {}), true);
        const [alert] = await db.observe.listAlerts({ state: 'firing' });
        assert.deepEqual({ rule: alert?.rule, instance: alert?.instance, customer: alert?.customer, since: alert?.since, resolvedAt: alert?.resolvedAt }, { rule: 'instance-unhealthy', instance: 'i1', customer: 'acme', since: '2026-01-03T00:00:00.000Z', resolvedAt: null });
      } finally {
        await cleanup();
      }
    });
  });
}
