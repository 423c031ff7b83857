// One contract suite for every MetadataDb backend (SQLite, PostgreSQL): same calls, same answers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuditChain } from '../../src/hub/audit/chain.ts';
import type { MetadataDb } from '../../src/hub/db/types.ts';
import { isSkiffError } from '../../src/util/errors.ts';

export interface MadeDb {
  readonly db: MetadataDb;
  cleanup(): Promise<void>;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const digest = (c: string): string => `sha256:${c.repeat(64)}`;

export function metadataContract(name: string, make: () => Promise<MadeDb>): void {
  describe(`MetadataDb contract: ${name}`, () => {
    let made: MadeDb;
    let db: MetadataDb;
    before(async () => {
      made = await make();
      db = made.db;
    });
    after(async () => made.cleanup());

    it('migrates idempotently', async () => {
      assert.deepEqual(await db.migrate(), []);
    });

    it('creates users, rejects duplicates, counts', async () => {
      const u = await db.createUser({ username: 'alice', passwordHash: 'h', role: 'admin' });
      assert.equal((await db.getUserByName('alice'))?.id, u.id);
      assert.equal((await db.getUser(u.id))?.role, 'admin');
      await assert.rejects(db.createUser({ username: 'alice', passwordHash: 'x', role: 'viewer' }), (e) => isSkiffError(e, 'CONFLICT'));
      assert.equal(await db.countUsers(), 1);
      assert.deepEqual((await db.listUsers()).map((x) => x.username), ['alice']);
    });

    it('stores tokens by hash, lists and revokes', async () => {
      const u = await db.getUserByName('alice');
      assert.ok(u);
      const t = await db.createToken({ kind: 'api', hash: 'a'.repeat(64), name: 'ci', userId: u.id, customerId: null, scopes: ['read'], expiresAt: null });
      assert.deepEqual((await db.getTokenByHash('a'.repeat(64)))?.scopes, ['read']);
      assert.equal((await db.listTokens({ userId: u.id })).length, 1);
      assert.equal((await db.listTokens({ customerId: 'nobody' })).length, 0);
      assert.equal(await db.revokeToken(t.id), true);
      assert.equal(await db.revokeToken(t.id), false);
      assert.ok((await db.getTokenByHash('a'.repeat(64)))?.revokedAt);
    });

    it('creates apps with root 1 and accepts later roots once', async () => {
      await db.createApp('netmon', { version: 1, bytes: bytes('{"v":1}') });
      await assert.rejects(db.createApp('netmon', { version: 1, bytes: bytes('x') }), (e) => isSkiffError(e, 'CONFLICT'));
      await db.addRoot('netmon', 2, bytes('{"v":2}'));
      await assert.rejects(db.addRoot('netmon', 2, bytes('{"v":2}')), (e) => isSkiffError(e, 'CONFLICT'));
      const roots = await db.listRoots('netmon');
      assert.deepEqual(roots.map((r) => r.version), [1, 2]);
      assert.equal(new TextDecoder().decode(roots[1]?.root), '{"v":2}');
      assert.deepEqual((await db.listApps()).map((a) => a.name), ['netmon']);
      assert.equal(await db.getApp('nope'), undefined);
    });

    it('puts releases atomically and idempotently, lists them in semver order', async () => {
      for (const [v, c] of [['1.10.0', 'a'], ['1.2.0', 'b'], ['1.9.0', 'c']] as const)
        await db.putRelease({ app: 'netmon', version: v, digest: digest(c), manifest: bytes(`m${v}`), signature: bytes(`s${v}`) });
      await db.putRelease({ app: 'netmon', version: '1.2.0', digest: digest('b'), manifest: bytes('m1.2.0'), signature: bytes('s') });
      await assert.rejects(
        db.putRelease({ app: 'netmon', version: '1.2.0', digest: digest('d'), manifest: bytes('x'), signature: bytes('x') }),
        (e) => isSkiffError(e, 'RELEASE_EXISTS'),
      );
      assert.deepEqual((await db.listReleases('netmon')).map((r) => r.version), ['1.2.0', '1.9.0', '1.10.0']);
      const r = await db.getRelease('netmon', '1.10.0');
      assert.equal(new TextDecoder().decode(r?.manifest), 'm1.10.0');
      assert.equal(r?.visible, true);
      await db.putRelease({ app: 'netmon', version: '2.0.0', digest: digest('e'), manifest: bytes('m'), signature: bytes('s'), visible: false });
      assert.equal((await db.getRelease('netmon', '2.0.0'))?.visible, false);
    });

    it('promotes only visible releases, demotes, marks required', async () => {
      await assert.rejects(db.promote('netmon', 'stable', '2.0.0', false), (e) => isSkiffError(e, 'NOT_FOUND'));
      await assert.rejects(db.promote('netmon', 'stable', '9.9.9', false), (e) => isSkiffError(e, 'NOT_FOUND'));
      await db.promote('netmon', 'stable', '1.10.0', false);
      await db.promote('netmon', 'stable', '1.2.0', true);
      await db.promote('netmon', 'beta', '1.9.0', false);
      const stable = await db.getChannel('netmon', 'stable');
      assert.deepEqual(stable?.releases.map((r) => [r.version, r.required]), [['1.2.0', true], ['1.10.0', false]]);
      assert.equal(await db.setRequired('netmon', 'stable', '1.10.0', true), true);
      assert.equal(await db.setRequired('netmon', 'stable', '7.0.0', true), false);
      assert.deepEqual((await db.listChannels('netmon')).map((c) => c.name), ['beta', 'stable']);
      assert.equal(await db.demote('netmon', 'beta', '1.9.0'), true);
      assert.equal(await db.demote('netmon', 'beta', '1.9.0'), false);
    });

    it('keeps customers apart: entitlements decide visible releases', async () => {
      await db.promote('netmon', 'beta', '1.9.0', false);
      const a = await db.createCustomer({ name: 'acme', airgapped: false, entitlements: [{ app: 'netmon', channel: 'stable', expiresAt: null }] });
      const b = await db.createCustomer({ name: 'globex', airgapped: true, entitlements: [{ app: 'netmon', channel: 'beta', expiresAt: '2000-01-01' }] });
      await assert.rejects(db.createCustomer({ name: 'acme', airgapped: false, entitlements: [] }), (e) => isSkiffError(e, 'CONFLICT'));
      await assert.rejects(
        db.createCustomer({ name: 'x', airgapped: false, entitlements: [{ app: 'ghost', channel: 'stable', expiresAt: null }] }),
        (e) => isSkiffError(e, 'NOT_FOUND'),
      );
      assert.equal(await db.getCustomerByName('x'), undefined);
      assert.deepEqual((await db.releasesVisibleTo(a.id)).map((r) => r.version), ['1.2.0', '1.10.0']);
      assert.deepEqual(await db.releasesVisibleTo(b.id), []);
      assert.equal(await db.isEntitled(a.id, 'netmon', '1.10.0'), true);
      assert.equal(await db.isEntitled(a.id, 'netmon', '1.9.0'), false);
      assert.equal(await db.isEntitled(b.id, 'netmon', '1.9.0'), false);
      assert.equal(await db.isEntitled(b.id, 'netmon', '1.9.0', new Date('1999-06-01')), true);
      await db.setEntitlements(b.id, [{ app: 'netmon', channel: 'beta', expiresAt: null }]);
      assert.deepEqual((await db.releasesVisibleTo(b.id)).map((r) => r.version), ['1.9.0']);
      const got = await db.getCustomerByName('globex');
      assert.equal(got?.airgapped, true);
      assert.deepEqual(got?.entitlements, [{ app: 'netmon', channel: 'beta', expiresAt: null }]);
      assert.deepEqual((await db.listCustomers()).map((c) => c.name), ['acme', 'globex']);
    });

    it('lists instances per customer', async () => {
      const a = await db.getCustomerByName('acme');
      const b = await db.getCustomerByName('globex');
      assert.ok(a && b);
      const i = await db.createInstance({ customerId: a.id, app: 'netmon', name: 'gw-1' });
      await db.createInstance({ customerId: b.id, app: 'netmon', name: 'gw-1' });
      await assert.rejects(db.createInstance({ customerId: a.id, app: 'netmon', name: 'gw-1' }), (e) => isSkiffError(e, 'CONFLICT'));
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

    it('chains audit entries, also under concurrent appends', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, n) => db.appendAudit({ actor: 'alice', action: 'test', target: `t${n}`, address: '127.0.0.1', details: { n } })));
      const all = await db.listAudit();
      assert.equal(all.length, 20);
      assert.deepEqual(verifyAuditChain(all), { ok: true, entries: 20 });
      assert.deepEqual((await db.listAudit({ afterId: 18 })).map((e) => e.id), [19, 20]);
      assert.equal((await db.listAudit({ limit: 3 })).length, 3);
    });
  });
}
