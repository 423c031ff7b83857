// User names are one user whatever their letter case: an older database holding "admin" and "Admin" is migrated to
// two distinct names (SQLite and PostgreSQL), and the API refuses a second name that differs only in case and logs in
// whatever the case typed.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS } from '../../src/hub/db/migrations.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import type { Dialect } from '../../src/hub/db/driver.ts';
import { tempDatabase } from '../helpers/postgres.ts';
import { startHub } from './hub-fixture.ts';

const BEFORE_CASE_INSENSITIVE = 3;

/** The schema as a hub before this change left it, with two users whose names differ only in case. */
function olderSchema(d: Dialect): string[] {
  const out = ['CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'];
  for (const m of MIGRATIONS.filter((x) => x.version < BEFORE_CASE_INSENSITIVE)) {
    out.push(...m.statements(d), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, '${m.name}', '2026-01-01T00:00:00.000Z')`);
  }
  out.push(
    `INSERT INTO users (id, username, password_hash, role, created_at) VALUES ('11111111-aaaa', 'admin', 'h1', 'admin', '2026-01-01T00:00:00.000Z')`,
    `INSERT INTO users (id, username, password_hash, role, created_at) VALUES ('22222222-bbbb', 'Admin', 'h2', 'admin', '2026-01-02T00:00:00.000Z')`,
    `INSERT INTO users (id, username, password_hash, role, created_at) VALUES ('33333333-cccc', 'vera', 'h3', 'viewer', '2026-01-03T00:00:00.000Z')`,
  );
  return out;
}

async function checkMigrated(dataDir: string, database?: string): Promise<void> {
  const db = await openMetadataDb({ dataDir, database });
  try {
    assert.deepEqual((await db.listUsers()).map((u) => [u.username, u.passwordHash]).sort(), [['Admin-22222222', 'h2'], ['admin', 'h1'], ['vera', 'h3']]);
    assert.equal((await db.getUserByName('ADMIN'))?.passwordHash, 'h1', 'the oldest keeps the name');
    await assert.rejects(db.mutate((tx) => tx.createUser({ username: 'VERA', passwordHash: 'x', role: 'admin' }), {
      actor: 'system', action: 'test', target: 'user:VERA', address: 'local',
    }), /already exists/);
  } finally {
    await db.close();
  }
}

describe('user names differing only in case', () => {
  it('are migrated apart in an older SQLite database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-usernames-'));
    try {
      const raw = new Database(join(dir, 'hub.db'));
      for (const s of olderSchema('sqlite')) raw.exec(s);
      raw.close();
      await checkMigrated(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('are migrated apart in an older PostgreSQL database', async () => {
    const tmp = await tempDatabase();
    try {
      const c = new pg.Client({ connectionString: tmp.url });
      await c.connect();
      for (const s of olderSchema('postgres')) await c.query(s);
      await c.end();
      await checkMigrated('/nonexistent', tmp.url);
    } finally {
      await tmp.drop();
    }
  });

  it('are one user through the API: a second is refused, and logins take any case', async () => {
    const hub = await startHub();
    try {
      const made = await hub.call('POST', '/api/v1/users', hub.admin.token, { username: 'ADMIN', password: 'another long password', role: 'viewer' });
      assert.equal(made.status, 409, JSON.stringify(made.json));
      assert.match(String((made.json.error as { message: string }).message), /user "ADMIN" already exists/);
      const login = await hub.call('POST', '/api/v1/login', undefined, { username: 'AdMiN', password: hub.admin.password });
      assert.equal(login.status, 200);
      assert.equal(login.json.username, 'admin');
      assert.equal(login.json.role, 'admin');
    } finally {
      await hub.close();
    }
  });
});
