// The audit log: every mutation recorded with actor and address; an edited or deleted row is found (SQLite and PostgreSQL).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { verifyHubAudit } from '../../src/hub/audit/verify-data.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import { tempDatabase } from '../helpers/postgres.ts';
import { startHub, type Hub } from './hub-fixture.ts';

describe('hub audit log', () => {
  let hub: Hub;
  before(async () => {
    hub = await startHub();
  });
  after(async () => hub.close());

  it('records every mutation with who, what and from where', async () => {
    await hub.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      remoteAddress: '192.0.2.7',
      headers: { authorization: `Bearer ${hub.admin.token}` },
      payload: { username: 'vera', password: 'long enough password', role: 'viewer' },
    });
    await hub.call('POST', '/api/v1/tokens', hub.admin.token, { name: 'ci', scopes: ['read'] });
    const res = await hub.call('GET', '/api/v1/audit?after=1', hub.admin.token);
    const entries = res.json.entries as { id: number; actor: string; action: string; target: string; address: string }[];
    assert.deepEqual(entries.map((e) => [e.id, e.actor, e.action, e.target]), [
      [2, 'user:admin', 'user.create', 'user:vera'],
      [3, 'user:admin', 'token.create', entries[1]?.target],
    ]);
    assert.equal(entries[0]?.address, '192.0.2.7');
    assert.deepEqual((await hub.call('GET', '/api/v1/audit/verify', hub.admin.token)).json, { ok: true, entries: 3 });
  });

  it('finds an edited row and a deleted row in the SQLite file', async () => {
    for (let i = 0; i < 3; i++) await hub.db.appendAudit({ actor: 'user:admin', action: 'test', target: `t${i}`, address: 'local' });
    assert.deepEqual(await verifyHubAudit({ dataDir: hub.dir }), { ok: true, entries: 6 });
    const raw = new Database(join(hub.dir, 'hub.db'));
    try {
      raw.prepare("UPDATE audit_log SET actor = 'user:mallory' WHERE id = 4").run();
      const edited = await verifyHubAudit({ dataDir: hub.dir });
      assert.equal(edited.ok, false);
      assert.equal(edited.ok === false && edited.firstBadId, 4);
      raw.prepare("UPDATE audit_log SET actor = 'user:admin' WHERE id = 4").run();
      raw.prepare('DELETE FROM audit_log WHERE id = 5').run();
      const deleted = await verifyHubAudit({ dataDir: hub.dir });
      assert.equal(deleted.ok === false && deleted.firstBadId, 6);
      assert.match(deleted.ok === false ? deleted.reason : '', /deleted/);
    } finally {
      raw.close();
    }
    const api = await hub.call('GET', '/api/v1/audit/verify', hub.admin.token);
    assert.equal(api.json.ok, false);
  });

  it('finds an edited row in PostgreSQL', async () => {
    const tmp = await tempDatabase();
    try {
      const db = await openMetadataDb({ dataDir: hub.dir, database: tmp.url });
      for (let i = 0; i < 4; i++) await db.appendAudit({ actor: 'user:admin', action: 'test', target: `t${i}`, address: 'local' });
      await db.close();
      assert.deepEqual(await verifyHubAudit({ dataDir: hub.dir, database: tmp.url }), { ok: true, entries: 4 });
      const c = new pg.Client({ connectionString: tmp.url });
      await c.connect();
      await c.query(`UPDATE audit_log SET details = '{"n":1}' WHERE id = 2`);
      await c.end();
      const v = await verifyHubAudit({ dataDir: hub.dir, database: tmp.url });
      assert.equal(v.ok === false && v.firstBadId, 2);
    } finally {
      await tmp.drop();
    }
  });
});
