// Two customers with different entitlements: each sees only its own apps, channels, customer record and instances; all else is 404.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { bytes, digestOf, makeRoot, seed, startHub, type Hub } from './hub-fixture.ts';

describe('hub tenancy: customer tokens', () => {
  let hub: Hub;
  let trustDir: string;
  const tokens: Record<string, string> = {};
  const instances: Record<string, string> = {};
  before(async () => {
    hub = await startHub();
    const { dir, root } = await makeRoot();
    trustDir = dir;
    const admin = hub.admin.token;
    for (const app of ['netmon', 'radar']) assert.equal((await hub.call('POST', '/api/v1/apps', admin, { name: app, root })).status, 201);
    for (const [app, version, c] of [['netmon', '1.0.0', 'a'], ['netmon', '1.1.0', 'b'], ['radar', '2.0.0', 'c']] as const)
      await seed(hub.db, (tx) => tx.putRelease({ app, version, digest: digestOf(c), manifest: bytes(version), signature: bytes('sig') }));
    for (const [app, channel, version] of [['netmon', 'stable', '1.0.0'], ['netmon', 'beta', '1.1.0'], ['radar', 'beta', '2.0.0']] as const)
      assert.equal((await hub.call('POST', `/api/v1/apps/${app}/channels/${channel}/releases`, admin, { version })).status, 201);
    for (const [name, app, channel] of [['acme', 'netmon', 'stable'], ['globex', 'radar', 'beta']] as const) {
      const res = await hub.call('POST', '/api/v1/customers', admin, { name, entitlements: [{ app, channel }] });
      assert.equal(res.status, 201);
      tokens[name] = String(res.json.token);
      assert.match(tokens[name] ?? '', /^skc_/);
      const c = await hub.db.getCustomerByName(name);
      assert.ok(c);
      instances[name] = (await seed(hub.db, (tx) => tx.createInstance({ customerId: c.id, app, name: `${name}-gw` }))).id;
    }
  });
  after(async () => {
    await hub.close();
    await rm(trustDir, { recursive: true, force: true });
  });

  it('lists only its own apps, channels and customer record', async () => {
    const acme = tokens.acme;
    const apps = await hub.call('GET', '/api/v1/apps', acme);
    assert.deepEqual((apps.json.apps as { name: string }[]).map((a) => a.name), ['netmon']);
    const channels = await hub.call('GET', '/api/v1/apps/netmon/channels', acme);
    assert.deepEqual((channels.json.channels as { name: string }[]).map((c) => c.name), ['stable']);
    const customers = await hub.call('GET', '/api/v1/customers', acme);
    assert.deepEqual((customers.json.customers as { name: string }[]).map((c) => c.name), ['acme']);
    const globexApps = await hub.call('GET', '/api/v1/apps', tokens.globex);
    assert.deepEqual((globexApps.json.apps as { name: string }[]).map((a) => a.name), ['radar']);
  });

  for (const [self, other, ownApp, otherApp, ownChannel, otherChannel] of [
    ['acme', 'globex', 'netmon', 'radar', 'stable', 'beta'],
    ['globex', 'acme', 'radar', 'netmon', 'beta', 'stable'],
  ] as const) {
    it(`${self} reads its own records`, async () => {
      const t = tokens[self];
      for (const url of [
        `/api/v1/whoami`,
        `/api/v1/apps/${ownApp}`,
        `/api/v1/apps/${ownApp}/roots`,
        `/api/v1/apps/${ownApp}/channels`,
        `/api/v1/apps/${ownApp}/channels/${ownChannel}`,
        `/api/v1/customers/${self}`,
        `/api/v1/customers/${self}/entitlements`,
        `/api/v1/customers/${self}/instances`,
      ]) assert.equal((await hub.call('GET', url, t)).status, 200, url);
      const inst = await hub.call('GET', `/api/v1/customers/${self}/instances`, t);
      assert.deepEqual((inst.json.instances as { id: string }[]).map((i) => i.id), [instances[self]]);
    });

    it(`${self} gets 404 for everything of ${other} and every vendor route`, async () => {
      const t = tokens[self];
      const other404: [string, string, unknown?][] = [
        ['GET', `/api/v1/apps/${otherApp}`],
        ['GET', `/api/v1/apps/${otherApp}/roots`],
        ['GET', `/api/v1/apps/${otherApp}/channels`],
        ['GET', `/api/v1/apps/${otherApp}/channels/${otherChannel}`],
        ['GET', `/api/v1/apps/${ownApp}/channels/${ownChannel === 'stable' ? 'beta' : 'stable'}`],
        ['GET', `/api/v1/apps/ghost`],
        ['GET', `/api/v1/customers/${other}`],
        ['GET', `/api/v1/customers/${other}/entitlements`],
        ['GET', `/api/v1/customers/${other}/instances`],
        ['GET', `/api/v1/customers/${other}/tokens`],
        ['GET', `/api/v1/customers/${self}/tokens`],
        ['PUT', `/api/v1/customers/${other}/entitlements`, { entitlements: [] }],
        ['PUT', `/api/v1/customers/${self}/entitlements`, { entitlements: [{ app: otherApp, channel: otherChannel }] }],
        ['POST', `/api/v1/customers/${other}/tokens`, {}],
        ['POST', `/api/v1/customers/${self}/tokens`, {}],
        ['POST', '/api/v1/customers', { name: 'evil', entitlements: [] }],
        ['POST', '/api/v1/apps', { name: 'evil', root: '{}' }],
        ['POST', `/api/v1/apps/${ownApp}/roots`, { root: '{}' }],
        ['POST', `/api/v1/apps/${otherApp}/roots`, { root: '{}' }],
        ['POST', `/api/v1/apps/${ownApp}/channels/${ownChannel}/releases`, { version: '1.1.0' }],
        ['POST', `/api/v1/apps/${otherApp}/channels/${otherChannel}/releases`, { version: '2.0.0' }],
        ['DELETE', `/api/v1/apps/${ownApp}/channels/${ownChannel}/releases/1.0.0`],
        ['PATCH', `/api/v1/apps/${otherApp}/channels/${otherChannel}/releases/2.0.0`, { required: true }],
        ['GET', '/api/v1/users'],
        ['POST', '/api/v1/users', { username: 'evil', password: 'long enough password', role: 'admin' }],
        ['GET', '/api/v1/tokens'],
        ['POST', '/api/v1/tokens', { name: 'x', scopes: ['read'] }],
        ['DELETE', '/api/v1/tokens/00000000-0000-4000-8000-000000000000'],
        ['GET', '/api/v1/audit'],
        ['GET', '/api/v1/audit/verify'],
      ];
      for (const [method, url, body] of other404) {
        const res = await hub.call(method as 'GET', url, t, body);
        assert.equal(res.status, 404, `${method} ${url}: ${JSON.stringify(res.json)}`);
        assert.equal((res.json.error as { code: string }).code, 'NOT_FOUND');
      }
    });

    it(`${self} cannot tell another customer's app from a missing one`, async () => {
      const t = tokens[self];
      const real = await hub.call('GET', `/api/v1/apps/${otherApp}/channels`, t);
      const ghost = await hub.call('GET', `/api/v1/apps/nothing/channels`, t);
      assert.equal(real.status, ghost.status);
      assert.equal(String((real.json.error as { message: string }).message).replace(otherApp, 'X'), String((ghost.json.error as { message: string }).message).replace('nothing', 'X'));
    });
  }

  it('the vendor still sees everything the customers did not change', async () => {
    const ch = await hub.call('GET', '/api/v1/apps/netmon/channels/stable', hub.admin.token);
    assert.deepEqual((ch.json.releases as { version: string }[]).map((r) => r.version), ['1.0.0']);
    const c = await hub.call('GET', '/api/v1/customers/acme', hub.admin.token);
    assert.deepEqual(c.json.entitlements, [{ app: 'netmon', channel: 'stable', expiresAt: null }]);
    assert.equal(await hub.db.isEntitled((await hub.db.getCustomerByName('acme'))?.id ?? '', 'radar', '2.0.0'), false);
  });
});
