// Hub killed (SIGKILL of a real `skiff hub serve`) during concurrent POST /customers, on SQLite and PostgreSQL: after a
// restart every customer has its token and exactly one customer.create audit entry, and the audit chain is intact.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import { runCli } from '../helpers/docker-cli.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';

const SKIFF = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));
const TOTAL = 250;
const IN_FLIGHT = 32;
const KILL_AFTER = 80;

/** Sends TOTAL POST /customers, IN_FLIGHT at a time, and SIGKILLs the hub once KILL_AFTER have been answered. */
async function createCustomersUntilKilled(hub: HubProcess, token: string): Promise<{ answered: number; killed: boolean }> {
  let next = 0;
  let answered = 0;
  let killed = false;
  const worker = async (): Promise<void> => {
    while (next < TOTAL) {
      const name = `crash-${next++}`;
      try {
        const res = await fetch(`${hub.url}/api/v1/customers`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name, entitlements: [] }),
        });
        await res.arrayBuffer();
        if (!killed) assert.equal(res.status, 201, `POST /customers ${name}`);
        answered++;
      } catch (e) {
        if (!killed) throw e;
        return;
      }
      if (!killed && answered >= KILL_AFTER) {
        killed = true;
        process.kill(hub.pid, 'SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { answered, killed };
}

function killTest(backend: 'sqlite' | 'postgres'): void {
  describe(`hub killed during concurrent customer creation (${backend})`, () => {
    let data: string;
    let pg: TempDatabase | undefined;
    let hub: HubProcess | undefined;
    after(async () => {
      await hub?.stop();
      await pg?.drop();
      if (data) await rm(data, { recursive: true, force: true });
    });

    it('commits each customer, its token and its audit entry together or not at all', async () => {
      data = await mkdtemp(join(tmpdir(), `skiff-audit-crash-${backend}-`));
      pg = backend === 'postgres' ? await tempDatabase() : undefined;
      const where = { data, ...(pg ? { database: pg.url } : {}) };
      const { token } = await hubInit(where);
      hub = await startHubProcess(where);
      const victim = hub;
      const { answered, killed } = await createCustomersUntilKilled(victim, token);
      assert.ok(killed, `the hub was killed (answered ${answered})`);
      await victim.stop();

      hub = await startHubProcess(where);
      const listed = await fetch(`${hub.url}/api/v1/customers`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(listed.status, 200, 'the restarted hub answers');
      await hub.stop();

      const db = await openMetadataDb({ dataDir: data, database: pg?.url });
      try {
        const customers = await db.listCustomers();
        assert.ok(customers.length >= answered, `every answered customer survived (${customers.length} of ${answered})`);
        assert.ok(customers.length < TOTAL, 'the kill landed before all customers were created');
        const audit = (await db.listAudit()).filter((e) => e.action === 'customer.create');
        const auditedTargets = audit.map((e) => e.target).sort();
        assert.deepEqual(auditedTargets, customers.map((c) => `customer:${c.name}`).sort(), 'exactly one customer.create entry per customer, none for a customer that does not exist');
        const ids = new Set(customers.map((c) => c.id));
        for (const c of customers) assert.equal((await db.listTokens({ customerId: c.id })).length, 1, `customer ${c.name} has its token`);
        for (const t of await db.listTokens({})) if (t.kind === 'customer') assert.ok(t.customerId !== null && ids.has(t.customerId), `token ${t.id} belongs to a customer`);
      } finally {
        await db.close();
      }
      const verify = await runCli(process.execPath, [SKIFF, 'hub', 'audit', 'verify', '--data', data, ...(pg ? ['--database', pg.url] : [])]);
      assert.equal(verify.code, 0, verify.stderr);
      assert.match(verify.stdout, /^audit log intact: \d+ entries\n$/);
    });
  });
}

killTest('sqlite');
killTest('postgres');
