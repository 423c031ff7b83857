// One contract suite for every MetadataDb backend (SQLite, PostgreSQL): same calls, same answers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuditChain } from '../../src/hub/audit/chain.ts';
import type { AuditInput, MetadataDb, MetadataTx } from '../../src/hub/db/types.ts';
import { isSkiffError } from '../../src/util/errors.ts';

export interface MadeDb {
  readonly db: MetadataDb;
  /** Statements run so far (the driver's onQuery hook). */
  queries(): number;
  cleanup(): Promise<void>;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const digest = (c: string): string => `sha256:${c.repeat(64)}`;
const SEED: AuditInput = { actor: 'alice', action: 'test.seed', target: 'test', address: '127.0.0.1' };

export function metadataContract(name: string, make: () => Promise<MadeDb>): void {
  describe(`MetadataDb contract: ${name}`, () => {
    let made: MadeDb;
    let db: MetadataDb;
    before(async () => {
      made = await make();
      db = made.db;
    });
    after(async () => made.cleanup());
    const write = <R>(fn: (tx: MetadataTx) => Promise<R>): Promise<R> => db.mutate(fn, SEED);

    it('migrates idempotently', async () => {
      assert.deepEqual(await db.migrate(), []);
    });

    it('creates users, rejects duplicates, counts', async () => {
      const u = await write((tx) => tx.createUser({ username: 'alice', passwordHash: 'h', role: 'admin' }));
      assert.equal((await db.getUserByName('alice'))?.id, u.id);
      assert.equal((await db.getUser(u.id))?.role, 'admin');
      await assert.rejects(write((tx) => tx.createUser({ username: 'alice', passwordHash: 'x', role: 'viewer' })), (e) => isSkiffError(e, 'CONFLICT'));
      await assert.rejects(write((tx) => tx.createUser({ username: 'Alice', passwordHash: 'x', role: 'admin' })), (e) => isSkiffError(e, 'CONFLICT'));
      assert.equal((await db.getUserByName('ALICE'))?.id, u.id, 'names compare case-insensitively');
      assert.equal(await db.countUsers(), 1);
      assert.deepEqual((await db.listUsers()).map((x) => x.username), ['alice']);
    });

    it('stores tokens by hash, lists and revokes', async () => {
      const u = await db.getUserByName('alice');
      assert.ok(u);
      const t = await write((tx) => tx.createToken({ kind: 'api', hash: 'a'.repeat(64), name: 'ci', userId: u.id, customerId: null, scopes: ['read'], expiresAt: null }));
      assert.deepEqual((await db.getTokenByHash('a'.repeat(64)))?.scopes, ['read']);
      assert.equal((await db.listTokens({ userId: u.id })).length, 1);
      assert.equal((await db.listTokens({ customerId: 'nobody' })).length, 0);
      assert.equal(await write((tx) => tx.revokeToken(t.id)), true);
      assert.equal(await write((tx) => tx.revokeToken(t.id)), false);
      assert.ok((await db.getTokenByHash('a'.repeat(64)))?.revokedAt);
    });

    it('creates apps with root 1 and accepts later roots once', async () => {
      await write((tx) => tx.createApp('netmon', { version: 1, bytes: bytes('{"v":1}') }));
      await assert.rejects(write((tx) => tx.createApp('netmon', { version: 1, bytes: bytes('x') })), (e) => isSkiffError(e, 'CONFLICT'));
      await write((tx) => tx.addRoot('netmon', 2, bytes('{"v":2}')));
      await assert.rejects(write((tx) => tx.addRoot('netmon', 2, bytes('{"v":2}'))), (e) => isSkiffError(e, 'CONFLICT'));
      const roots = await db.listRoots('netmon');
      assert.deepEqual(roots.map((r) => r.version), [1, 2]);
      assert.equal(new TextDecoder().decode(roots[1]?.root), '{"v":2}');
      assert.deepEqual((await db.listApps()).map((a) => a.name), ['netmon']);
      assert.equal(await db.getApp('nope'), undefined);
    });

    it('puts releases atomically and idempotently, lists them in semver order', async () => {
      for (const [v, c] of [['1.10.0', 'a'], ['1.2.0', 'b'], ['1.9.0', 'c']] as const)
        await write((tx) => tx.putRelease({ app: 'netmon', version: v, digest: digest(c), manifest: bytes(`m${v}`), signature: bytes(`s${v}`) }));
      await write((tx) => tx.putRelease({ app: 'netmon', version: '1.2.0', digest: digest('b'), manifest: bytes('m1.2.0'), signature: bytes('s') }));
      await assert.rejects(
        write((tx) => tx.putRelease({ app: 'netmon', version: '1.2.0', digest: digest('d'), manifest: bytes('x'), signature: bytes('x') })),
        (e) => isSkiffError(e, 'RELEASE_EXISTS'),
      );
      assert.deepEqual((await db.listReleases('netmon')).map((r) => r.version), ['1.2.0', '1.9.0', '1.10.0']);
      const r = await db.getRelease('netmon', '1.10.0');
      assert.equal(new TextDecoder().decode(r?.manifest), 'm1.10.0');
      assert.equal(r?.visible, true);
      await write((tx) => tx.putRelease({ app: 'netmon', version: '2.0.0', digest: digest('e'), manifest: bytes('m'), signature: bytes('s'), visible: false }));
      assert.equal((await db.getRelease('netmon', '2.0.0'))?.visible, false);
    });

    it('promotes only visible releases, demotes, marks required', async () => {
      await assert.rejects(write((tx) => tx.promote('netmon', 'stable', '2.0.0', false)), (e) => isSkiffError(e, 'NOT_FOUND'));
      await assert.rejects(write((tx) => tx.promote('netmon', 'stable', '9.9.9', false)), (e) => isSkiffError(e, 'NOT_FOUND'));
      await write((tx) => tx.promote('netmon', 'stable', '1.10.0', false));
      await write((tx) => tx.promote('netmon', 'stable', '1.2.0', true));
      await write((tx) => tx.promote('netmon', 'beta', '1.9.0', false));
      const stable = await db.getChannel('netmon', 'stable');
      assert.deepEqual(stable?.releases.map((r) => [r.version, r.required]), [['1.2.0', true], ['1.10.0', false]]);
      assert.equal(await write((tx) => tx.setRequired('netmon', 'stable', '1.10.0', true)), true);
      assert.equal(await write((tx) => tx.setRequired('netmon', 'stable', '7.0.0', true)), false);
      assert.deepEqual((await db.listChannels('netmon')).map((c) => c.name), ['beta', 'stable']);
      assert.equal(await write((tx) => tx.demote('netmon', 'beta', '1.9.0')), true);
      assert.equal(await write((tx) => tx.demote('netmon', 'beta', '1.9.0')), false);
    });

    it('keeps channel gates, the newest scan report per release and one waiver per finding', async () => {
      assert.equal(await db.getChannelPolicy('netmon', 'stable'), undefined);
      await write((tx) => tx.setChannelPolicy({ app: 'netmon', channel: 'stable', failOn: 'high', refusedLicenses: ['GPL-3.0-only'] }));
      await write((tx) => tx.setChannelPolicy({ app: 'netmon', channel: 'stable', failOn: 'critical', refusedLicenses: ['AGPL-3.0-only', 'GPL-3.0-only'] }));
      const p = await db.getChannelPolicy('netmon', 'stable');
      assert.deepEqual([p?.failOn, p?.refusedLicenses], ['critical', ['AGPL-3.0-only', 'GPL-3.0-only']]);
      await write((tx) => tx.putReleaseScan({ app: 'netmon', version: '1.2.0', releaseDigest: digest('b'), reportDigest: digest('1'), report: '{"n":1}', signature: null }));
      await write((tx) => tx.putReleaseScan({ app: 'netmon', version: '1.2.0', releaseDigest: digest('b'), reportDigest: digest('2'), report: '{"n":2}', signature: '{"sig":2}' }));
      const scan = await db.getReleaseScan('netmon', '1.2.0');
      assert.deepEqual([scan?.reportDigest, scan?.report, scan?.signature, scan?.releaseDigest], [digest('2'), '{"n":2}', '{"sig":2}', digest('b')]);
      assert.equal(await db.getReleaseScan('netmon', '1.9.0'), undefined);
      const waiver = { app: 'netmon', version: '1.2.0', finding: 'DSA-1-1', reason: 'r1', expiresAt: '2030-01-01T00:00:00.000Z', createdBy: 'user:alice' };
      await write((tx) => tx.putWaiver(waiver));
      await write((tx) => tx.putWaiver({ ...waiver, reason: 'r2' }));
      await write((tx) => tx.putWaiver({ ...waiver, finding: 'license:MIT' }));
      assert.deepEqual((await db.listWaivers('netmon', '1.2.0')).map((w) => [w.finding, w.reason]), [['DSA-1-1', 'r2'], ['license:MIT', 'r1']]);
      assert.deepEqual(await db.listWaivers('netmon', '1.9.0'), []);
    });

    it('keeps customers apart: entitlements decide visible releases', async () => {
      await write((tx) => tx.promote('netmon', 'beta', '1.9.0', false));
      const a = await write((tx) => tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [{ app: 'netmon', channel: 'stable', expiresAt: null }] }));
      const b = await write((tx) => tx.createCustomer({ name: 'globex', airgapped: true, entitlements: [{ app: 'netmon', channel: 'beta', expiresAt: '2000-01-01' }] }));
      await assert.rejects(write((tx) => tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [] })), (e) => isSkiffError(e, 'CONFLICT'));
      await assert.rejects(
        write((tx) => tx.createCustomer({ name: 'x', airgapped: false, entitlements: [{ app: 'ghost', channel: 'stable', expiresAt: null }] })),
        (e) => isSkiffError(e, 'NOT_FOUND'),
      );
      assert.equal(await db.getCustomerByName('x'), undefined);
      assert.deepEqual((await db.releasesVisibleTo(a.id)).map((r) => r.version), ['1.2.0', '1.10.0']);
      assert.deepEqual(await db.releasesVisibleTo(b.id), []);
      assert.equal(await db.isEntitled(a.id, 'netmon', '1.10.0'), true);
      assert.equal(await db.isEntitled(a.id, 'netmon', '1.9.0'), false);
      assert.equal(await db.isEntitled(b.id, 'netmon', '1.9.0'), false);
      assert.equal(await db.isEntitled(b.id, 'netmon', '1.9.0', new Date('1999-06-01')), true);
      await write((tx) => tx.setEntitlements(b.id, [{ app: 'netmon', channel: 'beta', expiresAt: null }]));
      assert.deepEqual((await db.releasesVisibleTo(b.id)).map((r) => r.version), ['1.9.0']);
      const got = await db.getCustomerByName('globex');
      assert.equal(got?.airgapped, true);
      assert.deepEqual(got?.entitlements, [{ app: 'netmon', channel: 'beta', expiresAt: null }]);
      assert.deepEqual((await db.listCustomers()).map((c) => c.name), ['acme', 'globex']);
    });

    it("keeps a customer's bundle recipient: set, listed, cleared; an unknown customer changes nothing", async () => {
      const acme = await db.getCustomerByName('acme');
      assert.ok(acme);
      assert.equal(acme.recipient, null);
      const key = `age1${'q'.repeat(58)}`;
      assert.equal(await write((tx) => tx.setCustomerRecipient(acme.id, key)), true);
      assert.equal((await db.getCustomer(acme.id))?.recipient, key);
      assert.deepEqual((await db.listCustomers()).map((c) => [c.name, c.recipient]), [['acme', key], ['globex', null]]);
      assert.equal(await write((tx) => tx.setCustomerRecipient(acme.id, null)), true);
      assert.equal((await db.getCustomer(acme.id))?.recipient, null);
      assert.equal(await write((tx) => tx.setCustomerRecipient('no-such-customer', key)), false);
    });

    it('lists customers with their entitlements in a fixed number of queries, however many there are', async () => {
      const queriesFor = async (): Promise<number> => {
        const before = made.queries();
        const list = await db.listCustomers();
        const n = made.queries() - before;
        for (const c of list) assert.deepEqual(c, await db.getCustomer(c.id), `customer ${c.name} as listed`);
        return n;
      };
      const few = await queriesFor();
      await write(async (tx) => {
        for (let i = 0; i < 5; i++)
          await tx.createCustomer({ name: `many-${i}`, airgapped: false, entitlements: [{ app: 'netmon', channel: 'stable', expiresAt: i % 2 ? null : '2099-01-01' }] });
      });
      assert.equal(await queriesFor(), few, 'five more customers, no more queries');
      assert.ok(few <= 2, `${few} queries list the customers`);
    });

    it('lists instances per customer', async () => {
      const a = await db.getCustomerByName('acme');
      const b = await db.getCustomerByName('globex');
      assert.ok(a && b);
      const i = await write((tx) => tx.createInstance({ customerId: a.id, app: 'netmon', name: 'gw-1' }));
      await write((tx) => tx.createInstance({ customerId: b.id, app: 'netmon', name: 'gw-1' }));
      await assert.rejects(write((tx) => tx.createInstance({ customerId: a.id, app: 'netmon', name: 'gw-1' })), (e) => isSkiffError(e, 'CONFLICT'));
      assert.deepEqual((await db.listInstances(a.id)).map((x) => x.id), [i.id]);
      assert.equal((await db.getInstance(i.id))?.customerId, a.id);
    });

    it('records what an instance runs', async () => {
      const a = await db.getCustomerByName('acme');
      assert.ok(a);
      const [i] = await db.listInstances(a.id);
      assert.ok(i);
      assert.equal(await db.reportInstance(i.id, { currentVersion: '1.0.0', health: 'healthy' }), true);
      const got = await db.getInstance(i.id);
      assert.equal(got?.currentVersion, '1.0.0');
      assert.equal(got?.health, 'healthy');
      assert.ok(got?.lastSeenAt);
      assert.equal(await db.reportInstance('00000000-0000-4000-8000-000000000000', { currentVersion: null, health: null }), false);
    });

    it("keeps a customer's values and an instance's overrides apart, and an instance's held-back reason", async () => {
      const a = await db.getCustomerByName('acme');
      assert.ok(a);
      const [i] = await db.listInstances(a.id);
      assert.ok(i);
      const customer = { customerId: a.id, app: 'netmon', instanceId: null };
      const own = { ...customer, instanceId: i.id };
      await write((tx) => tx.setSiteValues(customer, [{ name: 'GREETING', value: 'hi', secret: false }, { name: 'TOKEN', value: 'v1:sealed', secret: true }]));
      await write((tx) => tx.setSiteValues(own, [{ name: 'GREETING', value: 'hallo', secret: false }]));
      await write((tx) => tx.setSiteValues(customer, [{ name: 'GREETING', value: 'bonjour', secret: false }]));
      const shape = (list: Awaited<ReturnType<typeof db.listSiteValues>>) => list.map((v) => [v.instanceId, v.name, v.value, v.secret]);
      assert.deepEqual(shape(await db.listSiteValues(a.id, 'netmon')), [[null, 'GREETING', 'bonjour', false], [null, 'TOKEN', 'v1:sealed', true], [i.id, 'GREETING', 'hallo', false]]);
      assert.deepEqual(shape(await db.listSiteValues(a.id, 'netmon', '00000000-0000-4000-8000-000000000000')), [[null, 'GREETING', 'bonjour', false], [null, 'TOKEN', 'v1:sealed', true]]);
      assert.equal(await write((tx) => tx.unsetSiteValues(own, ['GREETING', 'TOKEN'])), 1);
      assert.deepEqual(shape(await db.listSiteValues(a.id, 'netmon', i.id)), [[null, 'GREETING', 'bonjour', false], [null, 'TOKEN', 'v1:sealed', true]]);
      assert.deepEqual(await db.listSiteValues((await db.getCustomerByName('globex'))?.id ?? '', 'netmon'), []);
      assert.equal((await db.getInstance(i.id))?.blockedReason, null);
      assert.equal(await db.setInstanceBlocked(i.id, 'netmon@2.0.0 is held back'), true);
      assert.equal((await db.getInstance(i.id))?.blockedReason, 'netmon@2.0.0 is held back');
      await db.setInstanceBlocked(i.id, null);
      assert.equal((await db.getInstance(i.id))?.blockedReason, null);
    });

    it('commits a mutation and its audit entry together or not at all', async () => {
      const before = (await db.listAudit()).length;
      const entry: AuditInput = { actor: 'user:alice', action: 'customer.create', target: 'customer:initech', address: '192.0.2.1', details: { n: 1 } };
      const made = await db.mutate(async (tx) => {
        const c = await tx.createCustomer({ name: 'initech', airgapped: false, entitlements: [] });
        await tx.createToken({ kind: 'customer', hash: 'c'.repeat(64), name: 'initech', userId: null, customerId: c.id, scopes: ['read'], expiresAt: null });
        return c;
      }, (c) => ({ ...entry, details: { id: c.id } }));
      const audit = await db.listAudit();
      assert.equal(audit.length, before + 1);
      assert.deepEqual({ ...audit.at(-1), id: 0, at: '', hash: '', prevHash: '' }, { ...entry, details: { id: made.id }, id: 0, at: '', hash: '', prevHash: '' });
      assert.equal(verifyAuditChain(audit).ok, true);

      const boom = new Error('boom');
      await assert.rejects(db.mutate(async (tx) => {
        const c = await tx.createCustomer({ name: 'doomed', airgapped: false, entitlements: [{ app: 'netmon', channel: 'stable', expiresAt: null }] });
        await tx.createToken({ kind: 'customer', hash: 'd'.repeat(64), name: 'doomed', userId: null, customerId: c.id, scopes: ['read'], expiresAt: null });
        throw boom;
      }, entry), boom);
      await assert.rejects(db.mutate((tx) => tx.createCustomer({ name: 'doomed', airgapped: false, entitlements: [] }), () => {
        throw boom;
      }), boom);
      assert.equal(await db.getCustomerByName('doomed'), undefined, 'the failed mutation left no customer');
      assert.equal(await db.getTokenByHash('d'.repeat(64)), undefined, 'nor its token');
      assert.equal((await db.listAudit()).length, before + 1, 'nor an audit entry');
    });

    it('nests: a refused inner write rolls back alone, and calls on the db from within a mutation join its transaction', async () => {
      const before = (await db.listAudit()).length;
      await db.mutate(async (tx) => {
        await assert.rejects(tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [] }), (e) => isSkiffError(e, 'CONFLICT'));
        await assert.rejects(db.mutate((inner) => inner.createCustomer({ name: 'half', airgapped: false, entitlements: [] }).then(() => {
          throw new Error('inner refused');
        }), SEED), /inner refused/);
        const c = await tx.createCustomer({ name: 'hooli', airgapped: false, entitlements: [] });
        assert.equal((await db.getCustomerByName('hooli'))?.id, c.id, 'a read on the db inside the mutation sees its writes');
      }, SEED);
      assert.ok(await db.getCustomerByName('hooli'));
      assert.equal(await db.getCustomerByName('half'), undefined);
      assert.equal((await db.listAudit()).length, before + 1);
    });

    it('refuses a write outside mutate, and serializes concurrent mutations into one chain', async () => {
      // Writes are not on MetadataDb's type; this reaches past the type to check the runtime guard behind it.
      const untyped = db as unknown as MetadataTx;
      await assert.rejects(untyped.createUser({ username: 'sneaky', passwordHash: 'h', role: 'admin' }), (e) => isSkiffError(e, 'INTERNAL'));
      assert.equal(await db.getUserByName('sneaky'), undefined);
      const before = (await db.listAudit()).length;
      await Promise.all(Array.from({ length: 20 }, (_, n) =>
        db.mutate((tx) => tx.createCustomer({ name: `burst-${n}`, airgapped: false, entitlements: [] }), { ...SEED, target: `customer:burst-${n}` })));
      const all = await db.listAudit();
      assert.equal(all.length, before + 20);
      assert.equal(verifyAuditChain(all).ok, true);
    });

    it('moves the generation on with every committed mutation and every new reported version, and only then', async () => {
      const a = await db.getCustomerByName('acme');
      const [i] = a ? await db.listInstances(a.id) : [];
      assert.ok(i);
      const g0 = await db.generation();
      await write((tx) => tx.setInstancePolicy(i.id, { installNow: true }));
      const g1 = await db.generation();
      assert.ok(g1 > g0, 'a mutation moves it on');
      await assert.rejects(write(async (tx) => {
        await tx.setInstancePolicy(i.id, { installNow: false });
        throw new Error('refused');
      }), /refused/);
      await db.appendAudit({ actor: 'alice', action: 'blob.put', target: 'blob', address: '127.0.0.1' });
      assert.equal(await db.generation(), g1, 'neither a rolled-back mutation nor a bare audit entry does');
      await db.reportInstance(i.id, { currentVersion: '1.0.0', health: 'unhealthy' });
      await db.reportInstance(i.id, { currentVersion: '1.0.0', health: 'healthy', report: { beat: 2 } });
      assert.equal(await db.generation(), g1, 'a report of the version already known does not');
      await db.reportInstance(i.id, { currentVersion: '1.1.0', health: 'healthy' });
      const g2 = await db.generation();
      assert.ok(g2 > g1, 'a new version does');
      await db.reportInstance(i.id, { currentVersion: null, health: 'unknown' });
      assert.ok((await db.generation()) > g2, 'and so does none after one');
      assert.equal((await db.getInstance(i.id))?.currentVersion, null);
      await db.reportInstance(i.id, { currentVersion: '1.0.0', health: 'healthy' });
    });

    it('chains audit entries, also under concurrent appends', async () => {
      const before = (await db.listAudit()).length;
      await Promise.all(Array.from({ length: 20 }, (_, n) => db.appendAudit({ actor: 'alice', action: 'test', target: `t${n}`, address: '127.0.0.1', details: { n } })));
      const all = await db.listAudit();
      assert.equal(all.length, before + 20);
      assert.deepEqual(verifyAuditChain(all), { ok: true, entries: before + 20 });
      assert.deepEqual((await db.listAudit({ afterId: before + 18 })).map((e) => e.id), [before + 19, before + 20]);
      assert.equal((await db.listAudit({ limit: 3 })).length, 3);
    });
  });
}
