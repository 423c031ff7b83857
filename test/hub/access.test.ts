// The hub's one access module on every path: a hidden delta base looks missing, an expired customer sees nothing, and
// a site that runs something older than a required release gets no newer release (bundles and /v2/ alike).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pushRelease } from '../../src/hub-client/index.ts';
import { skippedRequired } from '../../src/hub/index.ts';
import { releaseBlobs, type StoredRelease } from '../../src/release/index.ts';
import { seed, startHub, type Hub } from './hub-fixture.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';

type Res = { statusCode: number; body: string };
const errorOf = (res: Res) => (JSON.parse(res.body) as { error: { code: string; message: string } }).error;
const ociErrorOf = (res: Res) => (JSON.parse(res.body) as { errors: { code: string; message: string }[] }).errors[0];

describe('skippedRequired', () => {
  const entries = [
    { version: '1.0.0', required: false, promotedAt: '' },
    { version: '1.1.0', required: true, promotedAt: '' },
    { version: '1.5.0', required: true, promotedAt: '' },
    { version: '2.0.0', required: false, promotedAt: '' },
  ];
  it('names the lowest required release strictly between the floor and the target', () => {
    assert.equal(skippedRequired(entries, '1.0.0', '2.0.0'), '1.1.0');
    assert.equal(skippedRequired(entries, '1.1.0', '2.0.0'), '1.5.0');
    assert.equal(skippedRequired(entries, '1.5.0', '2.0.0'), undefined);
    assert.equal(skippedRequired(entries, '1.0.0', '1.1.0'), undefined, 'the required release itself');
  });
  it('a first install (no floor) skips nothing', () => {
    assert.equal(skippedRequired(entries, undefined, '2.0.0'), undefined);
  });
});

describe('hub access on every path', () => {
  let hub: Hub;
  let vendor: SyntheticVendor;
  const rel: Record<string, StoredRelease> = {};
  const tokens: Record<string, string> = {};

  const get = (url: string, token: string) => hub.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const customer = async (name: string, entitlements: { app: string; channel: string; expiresAt?: string }[]) => {
    const res = await hub.call('POST', '/api/v1/customers', hub.admin.token, { name, entitlements });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    tokens[name] = String(res.json.token);
  };
  const runs = async (name: string, version: string) => {
    const c = await hub.db.getCustomerByName(name);
    assert.ok(c);
    const i = (await hub.db.listInstances(c.id))[0] ?? (await seed(hub.db, (tx) => tx.createInstance({ customerId: c.id, app: vendor.app, name: `${name}-gw` })));
    assert.ok(await hub.db.reportInstance(i.id, { currentVersion: version, health: 'healthy' }));
  };
  const promote = async (channel: string, version: string, required = false) =>
    assert.equal((await hub.call('POST', `/api/v1/apps/${vendor.app}/channels/${channel}/releases`, hub.admin.token, { version, required })).status, 201);

  before(async () => {
    hub = await startHub();
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    vendor = await makeSyntheticVendor({ baseLayerSize: 64 * 1024 });
    assert.equal((await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: vendor.app, root: vendor.rootJson })).status, 201);
    for (const v of ['0.5.0', '1.0.0', '1.1.0', '2.0.0', '2.1.0']) {
      rel[v] = await vendor.release(v, { webLayerSize: 32 * 1024 + v.length });
      await pushRelease({ conn: { hub: url, token: hub.admin.token }, store: vendor.store, app: vendor.app, version: v });
    }
    await promote('beta', '0.5.0');
    await promote('stable', '1.0.0');
    await promote('stable', '1.1.0', true);
    await promote('stable', '2.0.0');
    await customer('acme', [{ app: vendor.app, channel: 'stable' }]);
    await customer('lagco', [{ app: vendor.app, channel: 'stable' }]);
    await customer('oldco', [{ app: vendor.app, channel: 'stable', expiresAt: '2020-01-01T00:00:00Z' }]);
  });
  after(async () => {
    await hub.close();
    await vendor.cleanup();
  });

  it('a delta base in a channel the customer does not follow answers exactly as an unknown one', async () => {
    const hidden = await get(`/api/v1/bundles/${vendor.app}/2.0.0?from=0.5.0`, tokens.acme!);
    const unknown = await get(`/api/v1/bundles/${vendor.app}/2.0.0?from=0.6.0`, tokens.acme!);
    const unpromoted = await get(`/api/v1/bundles/${vendor.app}/2.1.0?from=2.0.0`, tokens.acme!);
    for (const res of [hidden, unknown, unpromoted]) assert.equal(res.statusCode, 404, res.body);
    assert.equal(errorOf(hidden).message.replace('0.5.0', 'V').replace('0.5.0', 'V'), errorOf(unknown).message.replace('0.6.0', 'V').replace('0.6.0', 'V'));
    assert.equal((await get(`/api/v1/bundles/${vendor.app}/2.0.0?from=0.5.0`, hub.admin.token)).statusCode, 200, 'the vendor may');
    const hiddenOfTwo = await get(`/api/v1/bundles/${vendor.app}/2.0.0?from=1.1.0&from=0.5.0`, tokens.acme!);
    const unknownOfTwo = await get(`/api/v1/bundles/${vendor.app}/2.0.0?from=1.1.0&from=0.6.0`, tokens.acme!);
    for (const res of [hiddenOfTwo, unknownOfTwo]) assert.equal(res.statusCode, 404, res.body);
    assert.equal(errorOf(hiddenOfTwo).message.replaceAll('0.5.0', 'V'), errorOf(unknownOfTwo).message.replaceAll('0.6.0', 'V'), 'one hidden base among several answers as an unknown one');
    assert.equal((await get(`/api/v1/bundles/${vendor.app}/2.0.0?from=1.1.0&from=0.5.0`, hub.admin.token)).statusCode, 200, 'the vendor may');
  });

  it('an expired customer sees nothing of the app, also what was promoted after the expiry', async () => {
    await promote('stable', '2.1.0');
    const t = tokens.oldco!;
    assert.deepEqual(JSON.parse((await get('/api/v1/apps', t)).body), { apps: [] });
    for (const [path, ghost] of [
      [`/api/v1/apps/${vendor.app}`, '/api/v1/apps/ghost'],
      [`/api/v1/apps/${vendor.app}/roots`, '/api/v1/apps/ghost/roots'],
      [`/api/v1/apps/${vendor.app}/channels`, '/api/v1/apps/ghost/channels'],
      [`/api/v1/apps/${vendor.app}/channels/stable`, '/api/v1/apps/ghost/channels/stable'],
      [`/api/v1/apps/${vendor.app}/releases`, '/api/v1/apps/ghost/releases'],
      [`/api/v1/apps/${vendor.app}/releases/2.1.0`, '/api/v1/apps/ghost/releases/2.1.0'],
      [`/api/v1/bundles/${vendor.app}/2.1.0`, '/api/v1/bundles/ghost/2.1.0'],
      [`/api/v1/bundles/${vendor.app}/1.0.0`, '/api/v1/bundles/ghost/1.0.0'],
    ] as const) {
      const [real, none] = [await get(path, t), await get(ghost, t)];
      assert.equal(real.statusCode, 404, `${path}: ${real.body}`);
      assert.equal(errorOf(real).message.replace(vendor.app, 'X'), errorOf(none).message.replace('ghost', 'X'), path);
    }
    for (const path of [`/v2/${vendor.app}/web/manifests/2.1.0`, `/v2/${vendor.app}/web/manifests/1.0.0`]) {
      const res = await get(path, t);
      assert.equal(res.statusCode, 404, path);
      assert.equal(ociErrorOf(res)?.code, 'NAME_UNKNOWN');
    }
    assert.equal((await get(`/api/v1/customers/oldco`, t)).statusCode, 200, 'its own record stays readable');
  });

  it('a site running something older than a required release gets no newer release, on any path', async () => {
    await runs('lagco', '1.0.0');
    const t = tokens.lagco!;
    const full = await get(`/api/v1/bundles/${vendor.app}/2.0.0`, t);
    assert.equal(full.statusCode, 409, full.body);
    assert.equal(errorOf(full).code, 'REQUIRED_RELEASE');
    assert.match(errorOf(full).message, new RegExp(`^install ${vendor.app}@1\\.1\\.0 first`));
    assert.equal((await get(`/api/v1/bundles/${vendor.app}/2.0.0?from=1.0.0`, t)).statusCode, 409);

    const tag = await get(`/v2/${vendor.app}/web/manifests/2.0.0`, t);
    assert.equal(tag.statusCode, 403, tag.body);
    assert.equal(ociErrorOf(tag)?.code, 'DENIED');
    assert.match(ociErrorOf(tag)?.message ?? '', /install .*@1\.1\.0 first/);
    const web = rel['2.0.0']!.manifest.images.web!;
    assert.equal((await get(`/v2/${vendor.app}/web/manifests/${web.manifestDigest}`, t)).statusCode, 404, 'by digest');
    const older = new Set((await Promise.all(['1.0.0', '1.1.0'].map((v) => releaseBlobs(vendor.store, rel[v]!.manifest)))).flat().map((b) => b.digest));
    const onlyNew = (await releaseBlobs(vendor.store, rel['2.0.0']!.manifest)).map((b) => b.digest).filter((d) => !older.has(d));
    assert.ok(onlyNew.length > 0);
    for (const d of onlyNew) assert.equal((await get(`/v2/${vendor.app}/web/blobs/${d}`, t)).statusCode, 404, d);

    assert.equal((await get(`/api/v1/bundles/${vendor.app}/1.1.0`, t)).statusCode, 200, 'the required release itself');
    assert.equal((await get(`/v2/${vendor.app}/web/manifests/1.1.0`, t)).statusCode, 200);
    await runs('lagco', '1.1.0');
    assert.equal((await get(`/api/v1/bundles/${vendor.app}/2.0.0`, t)).statusCode, 200, 'once it runs the required release');
    assert.equal((await get(`/v2/${vendor.app}/web/manifests/2.0.0`, t)).statusCode, 200);
  });

  it('a customer with no instance yet (a first install) may take the newest release', async () => {
    assert.equal((await get(`/api/v1/bundles/${vendor.app}/2.0.0`, tokens.acme!)).statusCode, 200);
    assert.equal((await get(`/v2/${vendor.app}/web/manifests/2.0.0`, tokens.acme!)).statusCode, 200);
  });
});
