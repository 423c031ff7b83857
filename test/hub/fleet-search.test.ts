// GET /instances?q=: the fleet's text search on SQLite and PostgreSQL over real HTTP. Every word must occur in the id,
// name, customer, version or tags (k=v) of an instance, case-insensitively, with LIKE's wildcards taken literally; it
// pages with limit/offset; a customer's token searches only its own instances; a query of too many words is a 400;
// `skiff fleet --search` sends it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { fleetCommand } from '../../src/cli/instance.ts';
import { build, createFirstAdmin, openMetadataDb, type MetadataDb } from '../../src/hub/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust, serializeRoot } from '../../src/trust/index.ts';
import { enrollInstance, putPlaceholderRelease, reportVersion, type Enrolled } from '../helpers/checkin.ts';
import { hubApi } from '../helpers/hub-api.ts';
import { seed } from '../helpers/hub-release.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';
import { runCommand } from './hub-fixture.ts';

const APP = 'searched';

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`fleet text search (${backend})`, () => {
    let dir: string;
    let pgDb: TempDatabase | undefined;
    let db: MetadataDb;
    let app: FastifyInstance;
    let url: string;
    let admin: string;
    let acmeToken: string;
    const made: Record<string, Enrolled> = {};
    const names = async (query: string, token = admin): Promise<string[]> => {
      const r = await hubApi<{ instances: { name: string }[] }>(url, token, 'GET', `/instances?${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return r.json.instances.map((i) => i.name);
    };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'skiff-fleet-search-'));
      if (backend === 'postgres') pgDb = await tempDatabase();
      db = await openMetadataDb({ dataDir: dir, ...(pgDb ? { database: pgDb.url } : {}) });
      admin = (await createFirstAdmin(db)).token;
      app = await build({ db, blobs: new FsBlobStore(join(dir, 'store')) });
      await app.listen({ host: '127.0.0.1', port: 0 });
      url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const trust = await initTrust(join(dir, 'trust'));
      assert.equal((await hubApi(url, admin, 'POST', '/apps', { name: APP, root: serializeRoot(trust.root) })).status, 201);
      await seed(db, async (tx) => {
        for (const v of ['1.0.0', '2.0.0']) await putPlaceholderRelease(tx, APP, v);
      });
      for (const c of ['acme', 'globex']) {
        const r = await hubApi<{ token: string }>(url, admin, 'POST', '/customers', { name: c, entitlements: [{ app: APP, channel: 'stable' }] });
        assert.equal(r.status, 201);
        if (c === 'acme') acmeToken = r.json.token;
      }
      const enroll = async (customer: string, name: string) => {
        const t = await hubApi<{ token: string }>(url, admin, 'POST', `/customers/${customer}/enroll-tokens`, { app: APP });
        made[name] = await enrollInstance(url, t.json.token, name);
      };
      for (const n of ['gw-berlin', 'gw-paris', 'edge_1', 'edgex1']) await enroll('acme', n);
      for (const n of ['gx-berlin', 'gx-tokyo']) await enroll('globex', n);
      await reportVersion(url, made['gw-paris']!.credential, '2.0.0');
      await reportVersion(url, made['gx-tokyo']!.credential, '2.0.0');
      for (const n of ['gw-berlin', 'gx-berlin']) assert.equal((await hubApi(url, admin, 'PUT', `/instances/${made[n]!.id}/tags`, { tags: { region: 'eu-central' } })).status, 200);
    });

    after(async () => {
      await app?.close();
      await db?.close();
      await pgDb?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it('matches names, customers, versions, ids and tags, case-insensitively, every word', async () => {
      assert.deepEqual(await names('q=BERLIN'), ['gw-berlin', 'gx-berlin']);
      assert.deepEqual(await names('q=globex'), ['gx-berlin', 'gx-tokyo']);
      assert.deepEqual(await names('q=2.0.0'), ['gw-paris', 'gx-tokyo']);
      assert.deepEqual(await names(`q=${made['gx-tokyo']!.id.slice(0, 13)}`), ['gx-tokyo']);
      assert.deepEqual(await names('q=region%3Deu-central'), ['gw-berlin', 'gx-berlin']);
      assert.deepEqual(await names('q=acme%20eu-central'), ['gw-berlin'], 'every word must match');
      assert.deepEqual(await names('q=nowhere'), []);
    });

    it('takes LIKE wildcards literally and combines with the other filters and paging', async () => {
      assert.deepEqual(await names('q=edge_1'), ['edge_1'], '_ is not a wildcard');
      assert.deepEqual(await names('q=%25'), [], '% is not a wildcard');
      assert.deepEqual(await names('q=gw&version=2.0.0'), ['gw-paris']);
      assert.deepEqual(await names('q=berlin&limit=1&offset=1'), ['gx-berlin']);
    });

    it("a customer's token searches only its own instances", async () => {
      assert.deepEqual(await names('q=berlin', acmeToken), ['gw-berlin']);
      assert.deepEqual(await names('q=tokyo', acmeToken), []);
    });

    it('skiff fleet --search lists the matching instances', async () => {
      const listed = await runCommand((out) => fleetCommand(out), ['--search', 'berlin', '--hub', url, '--token', admin]);
      assert.equal(listed.code, 0, listed.out);
      assert.deepEqual(['gw-berlin', 'gx-berlin', 'gw-paris', 'gx-tokyo'].map((n) => listed.out.includes(n)), [true, true, false, false], listed.out);
    });

    it('too many words or too long a query is a 400 naming q', async () => {
      const many = await hubApi<{ error: { code: string; message: string } }>(url, admin, 'GET', `/instances?q=${encodeURIComponent('a b c d e f g h i')}`);
      assert.equal(many.status, 400);
      assert.match(many.json.error.message, /q has more than 8 words/);
      const long = await hubApi<{ error: { message: string } }>(url, admin, 'GET', `/instances?q=${'x'.repeat(201)}`);
      assert.equal(long.status, 400);
      assert.match(long.json.error.message, /q/);
    });
  });
}
