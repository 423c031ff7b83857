// Login throttling across replicas: two hub instances on one database (SQLite file, PostgreSQL) share the per-user,
// per-address and hub-wide budgets, and an attempt over budget is answered 429 without hashing a password.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { build } from '../../src/hub/app.ts';
import { LoginLimiter } from '../../src/hub/auth/login-limiter.ts';
import { verifyPassword } from '../../src/hub/auth/secrets.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import type { MetadataDb } from '../../src/hub/db/types.ts';
import { createFirstAdmin } from '../../src/hub/init.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';

const LIMITS = { maxFailures: 3, maxPerAddress: 5, maxGlobal: 12, windowMs: 60_000 };

interface Replica {
  readonly app: FastifyInstance;
  readonly db: MetadataDb;
}

function loginLimitTests(backend: 'sqlite' | 'postgres'): void {
  describe(`login limits shared by two replicas (${backend})`, () => {
    let dir: string;
    let pg: TempDatabase | undefined;
    let replicas: Replica[] = [];
    let password: string;
    let clock = Date.now();
    /** Every password check any replica ran (the real scrypt, counted). */
    let hashed = 0;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `skiff-login-${backend}-`));
      pg = backend === 'postgres' ? await tempDatabase() : undefined;
      for (let i = 0; i < 2; i++) {
        const db = await openMetadataDb({ dataDir: dir, database: pg?.url });
        if (i === 0) password = (await createFirstAdmin(db)).password;
        const app = await build({
          db,
          blobs: new FsBlobStore(join(dir, 'store')),
          loginLimiter: new LoginLimiter({ ...LIMITS, now: () => new Date(clock) }),
          verifyPassword: (p, stored) => {
            hashed++;
            return verifyPassword(p, stored);
          },
        });
        replicas.push({ app, db });
      }
    });
    after(async () => {
      for (const r of replicas) {
        await r.app.close();
        await r.db.close();
      }
      replicas = [];
      await pg?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    const login = async (n: number, remoteAddress: string, username: string, pass = 'wrong password'): Promise<{ status: number; message: string; hashed: boolean }> => {
      const replica = replicas[n % 2];
      assert.ok(replica);
      const before = hashed;
      const res = await replica.app.inject({ method: 'POST', url: '/api/v1/login', remoteAddress, payload: { username, password: pass } });
      const body = JSON.parse(res.body) as { error?: { message: string } };
      return { status: res.statusCode, message: body.error?.message ?? '', hashed: hashed > before };
    };

    it('lets a burst from one address hash only its budget, whatever the user names, on both replicas together', async () => {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(i, '198.51.100.1', `user-${i}`)));
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [...Array(LIMITS.maxPerAddress).fill(401), ...Array(40 - LIMITS.maxPerAddress).fill(429)]);
      assert.equal(hashed, LIMITS.maxPerAddress, 'only the admitted attempts ran scrypt');
      assert.match(answers.find((a) => a.status === 429)?.message ?? '', /^too many failed logins from 198\.51\.100\.1; retry in 60s$/);
    });

    it('counts a user name\'s failures on one replica on the other, even against the right password', async () => {
      for (let i = 0; i < LIMITS.maxFailures; i++) assert.equal((await login(i, '198.51.100.2', 'admin')).status, 401);
      const blocked = await login(1, '198.51.100.2', 'ADMIN', password);
      assert.deepEqual(blocked, { status: 429, message: 'too many failed logins for "ADMIN" from 198.51.100.2; retry in 60s', hashed: false });
      const ok = await login(0, '198.51.100.3', 'admin', password);
      assert.equal(ok.status, 200, 'another address logs in');
    });

    it('caps failed logins on the whole hub, and frees the budget when the window has passed', async () => {
      // So far 5 + 3 failures count; a success does not.
      for (let i = 0; i < LIMITS.maxGlobal - 8; i++) assert.equal((await login(i, `203.0.113.${i + 1}`, 'someone')).status, 401);
      const capped = await login(1, '203.0.113.99', 'admin', password);
      assert.deepEqual(capped, { status: 429, message: 'too many failed logins on this hub right now; retry in 60s', hashed: false });
      clock += LIMITS.windowMs + 1;
      assert.equal((await login(1, '203.0.113.99', 'admin', password)).status, 200);
      assert.equal((await login(0, '198.51.100.1', 'user-x')).status, 401, 'the burst address has its budget back');
    });
  });
}

loginLimitTests('sqlite');
loginLimitTests('postgres');
