// The hub's log store on SQLite and PostgreSQL: deduplication by (instance, stream, seq), search filters, retention
// per customer (PostgreSQL: whole daily partitions dropped).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import type { MetadataDb } from '../../src/hub/db/types.ts';
import type { LogLine } from '../../src/hub/db/sql-logs.ts';
import { seed } from '../helpers/hub-release.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';

const DAY = 86_400_000;
const NOW = new Date();
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const line = (seq: number, at: string, message: string, more: Partial<LogLine> = {}): LogLine => ({ seq, at, service: 'web', source: 'stdout', level: 'info', message, ...more });

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`log store (${dialect})`, () => {
    let db: MetadataDb;
    let dir: string;
    let pgdb: TempDatabase | undefined;
    const ids = { acme: '', globex: '', a1: '', a2: '', g1: '' };
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'skiff-logs-store-'));
      if (dialect === 'postgres') pgdb = await tempDatabase();
      db = await openMetadataDb({ dataDir: dir, ...(pgdb ? { database: pgdb.url } : {}) });
      for (const name of ['acme', 'globex'] as const) ids[name] = (await seed(db, (tx) => tx.createCustomer({ name, airgapped: false, entitlements: [] }))).id;
      ids.a1 = (await seed(db, (tx) => tx.createInstance({ customerId: ids.acme, app: 'netmon', name: 'a1' }))).id;
      ids.a2 = (await seed(db, (tx) => tx.createInstance({ customerId: ids.acme, app: 'netmon', name: 'a2' }))).id;
      ids.g1 = (await seed(db, (tx) => tx.createInstance({ customerId: ids.globex, app: 'netmon', name: 'g1' }))).id;
    });
    after(async () => {
      await db.close();
      await pgdb?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it('stores each (instance, stream, seq) once, however often a batch is sent again', async () => {
      const batch = { instanceId: ids.a1, customerId: ids.acme, stream: 'stream-a1-0001', lines: [line(1, ago(5000), 'one'), line(2, ago(4000), 'two')] };
      assert.equal((await db.logs.ingest(batch, NOW)).length, 2);
      assert.equal((await db.logs.ingest(batch, NOW)).length, 0);
      const overlapping = { ...batch, lines: [line(2, ago(4000), 'two'), line(3, ago(3000), 'three')] };
      assert.deepEqual((await db.logs.ingest(overlapping, NOW)).map((l) => l.message), ['three']);
      // Another spool of the same instance (its state was wiped) counts from 1 again.
      assert.equal((await db.logs.ingest({ ...batch, stream: 'stream-a1-0002', lines: [line(1, ago(2000), 'again one')] }, NOW)).length, 1);
      const all = await db.logs.search({ instanceId: ids.a1, limit: 100 });
      assert.deepEqual(all.map((l) => l.message), ['one', 'two', 'three', 'again one']);
    });

    it('searches by instance, customer, service, level, time range and text, newest lines kept under the limit', async () => {
      await db.logs.ingest({
        instanceId: ids.a2, customerId: ids.acme, stream: 'stream-a2-0001',
        lines: [
          line(1, ago(3 * 3600_000), 'old start'),
          line(2, ago(50 * 60_000), 'db: connection refused', { service: 'db', level: 'error', source: 'stderr' }),
          line(3, ago(40 * 60_000), 'GET /index 100% done', { service: 'web' }),
          line(4, ago(30 * 60_000), 'slow query 5_000ms', { service: 'db', level: 'warn' }),
        ],
      }, NOW);
      await db.logs.ingest({ instanceId: ids.g1, customerId: ids.globex, stream: 'stream-g1-0001', lines: [line(1, ago(60_000), 'globex secret plans')] }, NOW);
      const msgs = async (q: Parameters<MetadataDb['logs']['search']>[0]): Promise<string[]> => (await db.logs.search(q)).map((l) => l.message);
      assert.deepEqual(await msgs({ instanceId: ids.a2, service: 'db', limit: 100 }), ['db: connection refused', 'slow query 5_000ms']);
      assert.deepEqual(await msgs({ instanceId: ids.a2, level: 'error', limit: 100 }), ['db: connection refused']);
      assert.deepEqual(await msgs({ instanceId: ids.a2, since: ago(3600_000), until: ago(35 * 60_000), limit: 100 }), ['db: connection refused', 'GET /index 100% done']);
      assert.deepEqual(await msgs({ customerId: ids.acme, text: 'CONNECTION', limit: 100 }), ['db: connection refused']);
      assert.deepEqual(await msgs({ customerId: ids.acme, text: '100%', limit: 100 }), ['GET /index 100% done']);
      assert.deepEqual(await msgs({ customerId: ids.acme, text: '5_0', limit: 100 }), ['slow query 5_000ms']);
      assert.deepEqual(await msgs({ customerId: ids.acme, text: 'globex', limit: 100 }), []);
      assert.deepEqual(await msgs({ instanceId: ids.a2, limit: 2 }), ['GET /index 100% done', 'slow query 5_000ms']);
    });

    it('keeps lines for their customer’s retention: older ones are refused at ingest and forgotten later', async () => {
      await db.logs.setRetentionDays(ids.globex, 2);
      assert.equal(await db.logs.retentionDays(ids.globex), 2);
      assert.equal(await db.logs.retentionDays(ids.acme), 14);
      const stored = await db.logs.ingest({ instanceId: ids.g1, customerId: ids.globex, stream: 'stream-g1-0001', lines: [line(2, ago(3 * DAY), 'too old'), line(3, ago(1 * DAY), 'kept for now')] }, NOW);
      assert.deepEqual(stored.map((l) => l.message), ['kept for now']);
      await db.logs.ingest({ instanceId: ids.a1, customerId: ids.acme, stream: 'stream-a1-0001', lines: [line(10, ago(10 * DAY), 'acme ten days')] }, NOW);
      // Three days later: globex's day-old line is past its 2 days; acme's ten-day-old line is within its 14 until later.
      await db.logs.applyRetention(new Date(NOW.getTime() + 2 * DAY));
      assert.deepEqual((await db.logs.search({ instanceId: ids.g1, limit: 100 })).map((l) => l.message), []);
      assert.ok((await db.logs.search({ instanceId: ids.a1, limit: 100 })).some((l) => l.message === 'acme ten days'));
      await db.logs.applyRetention(new Date(NOW.getTime() + 5 * DAY));
      assert.ok(!(await db.logs.search({ instanceId: ids.a1, limit: 100 })).some((l) => l.message === 'acme ten days'));
      if (pgdb) {
        const c = new pg.Client({ connectionString: pgdb.url });
        await c.connect();
        try {
          const { rows } = await c.query<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'log_lines' ORDER BY 1`);
          const oldest = rows[0]?.name ?? '';
          // The partition of the ten-day-old line was dropped whole; those of the last 9 days and ahead remain.
          const tenDaysAgo = `log_lines_${ago(10 * DAY).slice(0, 10).replace(/-/g, '')}`;
          assert.ok(rows.length > 0 && oldest > tenDaysAgo, `${oldest} > ${tenDaysAgo}: ${rows.map((r) => r.name).join(' ')}`);
        } finally {
          await c.end();
        }
      }
    });
  });
}
