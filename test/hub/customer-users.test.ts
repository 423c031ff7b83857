// Customer users over the hub's routes: a vendor admin or a customer-admin (for its own customer only) creates them,
// they sign in with a password and get their customer's view and no more; a viewer reads only; removal ends their
// sessions; every change is audited; and the store behaves the same on PostgreSQL.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { customerCommand } from '../../src/cli/customer.ts';
import { openPostgresMetadataDb } from '../../src/hub/db/index.ts';
import { putPlaceholderRelease } from '../helpers/checkin.ts';
import { tempDatabase } from '../helpers/postgres.ts';
import { makeRoot, runCommand, seed, startHub, type Hub } from './hub-fixture.ts';

const APP = 'gateway';
const PASSWORD = 'correct horse battery staple';
const WINDOW = { days: ['sat'], start: '02:00', end: '04:00', timeZone: 'UTC' };

describe('customer users', () => {
  let hub: Hub;
  const admin = () => hub.admin.token;
  const login = async (username: string, password = PASSWORD) => {
    const r = await hub.call('POST', '/api/v1/login', undefined, { username, password });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return String(r.json.token);
  };
  const addUser = (customer: string, username: string, role: string, token = admin()) =>
    hub.call('POST', `/api/v1/customers/${customer}/users`, token, { username, password: PASSWORD, role });

  before(async () => {
    hub = await startHub();
    const { root } = await makeRoot();
    assert.equal((await hub.call('POST', '/api/v1/apps', admin(), { name: APP, root })).status, 201);
    await seed(hub.db, async (tx) => {
      for (const v of ['1.0.0', '1.1.0']) await putPlaceholderRelease(tx, APP, v, `Notes of ${v}.`);
    });
    for (const v of ['1.0.0', '1.1.0']) assert.equal((await hub.call('POST', `/api/v1/apps/${APP}/channels/stable/releases`, admin(), { version: v })).status, 201);
    for (const name of ['acme', 'globex']) assert.equal((await hub.call('POST', '/api/v1/customers', admin(), { name, entitlements: [{ app: APP, channel: 'stable' }] })).status, 201);
    assert.equal((await hub.call('PUT', `/api/v1/customers/acme/apps/${APP}/approval`, admin(), { required: true })).status, 200);
  });
  after(() => hub?.close());

  it('a vendor admin creates a customer-admin, who signs in with a password as its customer', async () => {
    const made = await addUser('acme', 'alice', 'customer-admin');
    assert.equal(made.status, 201, JSON.stringify(made.json));
    assert.deepEqual({ customer: made.json.customer, username: made.json.username, role: made.json.role }, { customer: 'acme', username: 'alice', role: 'customer-admin' });
    const alice = await login('alice');
    const me = await hub.call('GET', '/api/v1/whoami', alice);
    assert.deepEqual(me.json, { kind: 'customer', customer: 'acme', role: 'customer-admin', username: 'alice' });
    const audit = await hub.call('GET', '/api/v1/audit', admin());
    const entry = (audit.json.entries as { action: string; target: string; actor: string }[]).find((e) => e.action === 'customer.user.create');
    assert.deepEqual(entry && { target: entry.target, actor: entry.actor }, { target: 'customer:acme/user:alice', actor: 'user:admin' });
  });

  it('is its customer and no more: another customer and the vendor side answer 404', async () => {
    const alice = await login('alice');
    assert.equal((await hub.call('GET', '/api/v1/customers/acme', alice)).status, 200);
    assert.equal((await hub.call('GET', '/api/v1/customers/globex', alice)).status, 404);
    assert.equal((await hub.call('GET', '/api/v1/users', alice)).status, 404);
    assert.equal((await hub.call('GET', '/api/v1/customers/globex/users', alice)).status, 404);
    const list = await hub.call('GET', '/api/v1/customers', alice);
    assert.deepEqual((list.json.customers as { name: string }[]).map((c) => c.name), ['acme']);
  });

  it('a customer-admin manages its own customer’s users only: another customer’s admin gets 404 and changes nothing', async () => {
    const alice = await login('alice');
    assert.equal((await addUser('acme', 'victor', 'customer-viewer', alice)).status, 201);
    assert.equal((await addUser('globex', 'gail', 'customer-admin')).status, 201);
    const gail = await login('gail');
    const intruder = await addUser('acme', 'mallory', 'customer-admin', gail);
    assert.equal(intruder.status, 404, JSON.stringify(intruder.json));
    assert.equal((await hub.call('DELETE', '/api/v1/customers/acme/users/victor', gail)).status, 404);
    assert.equal((await hub.call('GET', '/api/v1/customers/acme/users', gail)).status, 404);
    const users = await hub.call('GET', '/api/v1/customers/acme/users', alice);
    assert.deepEqual((users.json.users as { username: string; role: string }[]).map((u) => `${u.username}:${u.role}`), ['alice:customer-admin', 'victor:customer-viewer']);
    assert.equal((await hub.call('POST', '/api/v1/login', undefined, { username: 'mallory', password: PASSWORD })).status, 401);
  });

  it('a customer-admin approves upgrades and sets maintenance windows; a pin stays the vendor’s', async () => {
    const alice = await login('alice');
    const approved = await hub.call('POST', `/api/v1/apps/${APP}/approvals`, alice, { version: '1.1.0' });
    assert.equal(approved.status, 201, JSON.stringify(approved.json));
    assert.deepEqual(approved.json.approved, ['1.1.0']);
    const set = await hub.call('PATCH', `/api/v1/customers/acme/apps/${APP}/policy`, alice, { windows: [WINDOW] });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.equal((set.json.windows as unknown[]).length, 1);
    assert.equal((await hub.call('PATCH', `/api/v1/customers/acme/apps/${APP}/policy`, alice, { pinnedVersion: '1.0.0' })).status, 403);
    assert.equal((await hub.call('PATCH', `/api/v1/customers/globex/apps/${APP}/policy`, alice, { windows: [] })).status, 404);
  });

  it('a customer-viewer reads but may not approve, set windows or manage users (403, nothing changes)', async () => {
    const victor = await login('victor');
    assert.equal((await hub.call('GET', `/api/v1/apps/${APP}/notes`, victor)).status, 200);
    assert.equal((await hub.call('GET', '/api/v1/customers/acme/users', victor)).status, 200);
    const refused = await hub.call('POST', `/api/v1/apps/${APP}/approvals`, victor, { version: '1.0.0' });
    assert.equal(refused.status, 403);
    assert.match(String((refused.json.error as { message: string }).message), /customer-viewer/);
    assert.equal((await hub.call('PATCH', `/api/v1/customers/acme/apps/${APP}/policy`, victor, { windows: [] })).status, 403);
    assert.equal((await addUser('acme', 'eve', 'customer-admin', victor)).status, 403);
    assert.equal((await hub.call('POST', '/api/v1/reports', victor, {})).status, 403);
    const policy = await hub.call('GET', `/api/v1/customers/acme/apps/${APP}/policy`, victor);
    assert.deepEqual(policy.json.windows, [WINDOW], 'a viewer reads its windows');
    assert.equal((await hub.call('GET', `/api/v1/customers/acme/apps/${APP}/policy`, await login('gail'))).status, 404);
    const approval = await hub.call('GET', `/api/v1/customers/acme/apps/${APP}/approval`, victor);
    assert.deepEqual(approval.json.approved, ['1.1.0'], 'the refused approval left nothing behind');
  });

  it('user names are unique across vendor and customer users, and vendor lists show vendor users only', async () => {
    const clash = await addUser('acme', 'ADMIN', 'customer-viewer');
    assert.equal(clash.status, 409);
    assert.equal((await hub.call('POST', '/api/v1/users', admin(), { username: 'Alice', password: PASSWORD, role: 'viewer' })).status, 409);
    const vendor = await hub.call('GET', '/api/v1/users', admin());
    assert.deepEqual((vendor.json.users as { username: string }[]).map((u) => u.username), ['admin']);
    const bad = await hub.call('POST', '/api/v1/customers/acme/users', admin(), { username: 'x1', password: PASSWORD, role: 'admin' });
    assert.equal(bad.status, 400, 'a vendor role is not a customer role');
  });

  it('removing a user ends its sessions at once; removing it again is 404 and not audited', async () => {
    const victor = await login('victor');
    assert.equal((await hub.call('DELETE', '/api/v1/customers/acme/users/victor', admin())).status, 200);
    assert.equal((await hub.call('GET', '/api/v1/whoami', victor)).status, 401);
    const before = ((await hub.call('GET', '/api/v1/audit', admin())).json.entries as unknown[]).length;
    assert.equal((await hub.call('DELETE', '/api/v1/customers/acme/users/victor', admin())).status, 404);
    assert.equal(((await hub.call('GET', '/api/v1/audit', admin())).json.entries as unknown[]).length, before);
  });

  it('signing out revokes a customer user’s session (the customer token’s logout revokes nothing)', async () => {
    const alice = await login('alice');
    assert.equal((await hub.call('POST', '/api/v1/logout', alice, {})).status, 200);
    assert.equal((await hub.call('GET', '/api/v1/whoami', alice)).status, 401);
  });

  it('skiff customer user add|list|remove', async () => {
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const flags = ['--hub', url, '--token', admin()];
    const add = await runCommand(customerCommand, ['user', 'add', 'acme', 'carol', '--role', 'customer-viewer', ...flags]);
    assert.equal(add.code, 0, add.out);
    const password = /password: (\S+)/.exec(add.out)?.[1];
    assert.ok(password && password.length >= 12, add.out);
    await login('carol', password);
    const list = await runCommand(customerCommand, ['user', 'list', 'acme', ...flags]);
    assert.match(list.out, /^carol\tcustomer-viewer\t/m);
    assert.equal((await runCommand(customerCommand, ['user', 'add', 'acme', 'dan', '--role', 'viewer', ...flags])).code, 2);
    assert.equal((await runCommand(customerCommand, ['user', 'remove', 'acme', 'carol', ...flags])).code, 0);
    assert.doesNotMatch((await runCommand(customerCommand, ['user', 'list', 'acme', ...flags])).out, /carol/);
  });
});

describe('customer users on PostgreSQL', () => {
  it('one name space with vendor users; a vendor lookup never returns a customer user', async () => {
    const tmp = await tempDatabase();
    const db = openPostgresMetadataDb(tmp.url);
    try {
      await db.migrate();
      const c = await db.mutate((tx) => tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [] }), { actor: 'test', action: 'seed', target: 'x', address: '-' });
      await db.mutate((tx) => tx.createUser({ username: 'root', passwordHash: 'h', role: 'admin' }), { actor: 'test', action: 'seed', target: 'x', address: '-' });
      const u = await db.mutate((tx) => tx.customerUsers.create({ customerId: c.id, username: 'Alice', passwordHash: 'h', role: 'customer-viewer' }), { actor: 'test', action: 'seed', target: 'x', address: '-' });
      await assert.rejects(
        db.mutate((tx) => tx.customerUsers.create({ customerId: c.id, username: 'ROOT', passwordHash: 'h', role: 'customer-admin' }), { actor: 'test', action: 'seed', target: 'x', address: '-' }),
        /already exists/,
      );
      assert.equal((await db.customerUsers.getByName('alice'))?.id, u.id);
      assert.equal(await db.getUserByName('alice'), undefined);
      assert.equal(await db.getUser(u.id), undefined);
      assert.equal(await db.countUsers(), 1);
      assert.equal(await db.mutate((tx) => tx.customerUsers.remove(c.id, 'ALICE'), { actor: 'test', action: 'seed', target: 'x', address: '-' }), true);
      assert.deepEqual(await db.customerUsers.list(c.id), []);
    } finally {
      await db.close();
      await tmp.drop();
    }
  });
});
