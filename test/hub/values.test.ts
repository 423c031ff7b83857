// Per-site values at the hub: who may set and read them, checks against the release each site would get, secrets sealed
// at rest and write-only (only the instance's own credential reads them), audit entries naming keys only, and a release
// whose required setting is missing held back with its reason.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { valuesDigest } from '../../src/fleet/index.ts';
import { mintToken } from '../../src/hub/auth/secrets.ts';
import type { InstancePrincipal } from '../../src/hub/auth/principal.ts';
import {
  RELEASE_SCHEMA,
  releaseBytes,
  releaseDigest,
  type ReleaseManifest,
} from '../../src/release/index.ts';
import { makeRoot, seed, startHub, userToken, type Hub } from './hub-fixture.ts';

const APP = 'gizmo';
const SECRET = 'hunter2-planted-secret';

type Setting = ReleaseManifest['configSchema'][number];
const BASE: Setting[] = [
  { name: 'GREETING', type: 'string', default: 'hello', required: false, secret: false },
  { name: 'PORT', type: 'port', default: 8080, required: false, secret: false },
  { name: 'TOKEN', type: 'string', required: false, secret: true },
];

function manifest(version: string, configSchema: Setting[]): ReleaseManifest {
  return {
    schema: RELEASE_SCHEMA,
    app: APP,
    version,
    createdAt: '2026-01-01T00:00:00Z',
    channelHints: [],
    images: {},
    compose: { services: {} },
    configSchema,
    hooks: {},
    changelog: '',
    minAgentVersion: '0.1.0',
    sbom: [],
  };
}

describe('per-site values at the hub', () => {
  let hub: Hub;
  let acme: { id: string; token: string };
  let globexToken: string;
  let viewer: string;
  let inst: { id: string; credential: string };
  let principal: InstancePrincipal;

  const call = (method: 'GET' | 'PATCH', url: string, token: string, body?: unknown) =>
    hub.call(method, `/api/v1${url}`, token, body);
  const customerValues = `/customers/acme/apps/${APP}/values`;
  const errorOf = (r: { json: Record<string, unknown> }) => r.json.error as { code: string; message: string };
  const blocked = async () => (await hub.db.getInstance(inst.id))?.blockedReason ?? null;

  before(async () => {
    hub = await startHub();
    const { root } = await makeRoot();
    await seed(hub.db, async (tx) => {
      await tx.createApp(APP, { version: 1, bytes: Buffer.from(root) });
      for (const [v, settings] of [
        ['1.0.0', BASE],
        [
          '2.0.0',
          [
            ...BASE,
            {
              name: 'REGION',
              type: 'string',
              required: true,
              secret: false,
              description: 'data region',
            } as Setting,
          ],
        ],
      ] as const) {
        const bytes = releaseBytes(manifest(v, [...settings]));
        await tx.putRelease({
          app: APP,
          version: v,
          digest: releaseDigest(bytes),
          manifest: bytes,
          signature: Buffer.from('{}'),
        });
      }
      await tx.promote(APP, 'stable', '1.0.0', false);
    });
    for (const name of ['acme', 'globex']) {
      const r = await hub.call('POST', '/api/v1/customers', hub.admin.token, {
        name,
        entitlements: [{ app: APP, channel: 'stable' }],
      });
      assert.equal(r.status, 201);
      if (name === 'acme') acme = { id: (r.json.customer as { id: string }).id, token: String(r.json.token) };
      else globexToken = String(r.json.token);
    }
    viewer = await userToken(hub, 'vera', 'viewer');
    const credential = mintToken('ski_');
    const created = await seed(hub.db, async (tx) => {
      const i = await tx.createInstance({ customerId: acme.id, app: APP, name: 'gw-1' });
      await tx.createToken({
        kind: 'instance',
        hash: credential.hash,
        name: 'instance gw-1',
        userId: null,
        customerId: acme.id,
        instanceId: i.id,
        scopes: [],
        expiresAt: null,
      });
      return i;
    });
    await hub.db.reportInstance(created.id, { currentVersion: '1.0.0', health: 'healthy' });
    inst = { id: created.id, credential: credential.token };
    principal = {
      kind: 'instance',
      instanceId: inst.id,
      customerId: acme.id,
      customerName: 'acme',
      app: APP,
      tokenId: 'test',
    };
  });
  after(async () => hub.close());

  it('sets customer values, seals secrets at rest, lists a secret as set but never its value, audits key names only', async () => {
    const r = await call('PATCH', customerValues, hub.admin.token, {
      set: { GREETING: 'bonjour', TOKEN: SECRET },
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json.sealed, ['TOKEN'], 'declared secret by the release: sealed without asking');
    const rows = await hub.db.listSiteValues(acme.id, APP);
    assert.deepEqual(
      rows.map((x) => [x.name, x.secret, x.instanceId]),
      [
        ['GREETING', false, null],
        ['TOKEN', true, null],
      ],
    );
    assert.ok(!JSON.stringify(rows).includes(SECRET), 'sealed in the database');
    for (const token of [hub.admin.token, viewer, acme.token]) {
      const list = await call('GET', customerValues, token);
      assert.equal(list.status, 200);
      assert.ok(!JSON.stringify(list.json).includes(SECRET));
      const byName = new Map((list.json.values as { name: string }[]).map((v) => [v.name, v]));
      assert.deepEqual(byName.get('TOKEN'), {
        name: 'TOKEN',
        level: 'customer',
        secret: true,
        set: true,
        declared: true,
        required: false,
      });
      assert.deepEqual(byName.get('GREETING'), {
        name: 'GREETING',
        level: 'customer',
        secret: false,
        set: true,
        value: 'bonjour',
        declared: true,
        required: false,
      });
      assert.deepEqual(byName.get('PORT'), {
        name: 'PORT',
        level: null,
        secret: false,
        set: false,
        declared: true,
        required: false,
      });
    }
    const audit = (await hub.db.listAudit()).filter((e) => e.action === 'values.set');
    assert.deepEqual(
      audit.map((e) => [e.target, e.details]),
      [[`customer:acme/app:${APP}`, { app: APP, set: ['GREETING', 'TOKEN'], unset: [], secret: ['TOKEN'] }]],
    );
    assert.ok(!JSON.stringify(await hub.db.listAudit()).includes(SECRET));
  });

  it('refuses a bad change with a 4xx naming the setting, and changes nothing', async () => {
    const before = await hub.db.listSiteValues(acme.id, APP);
    const cases: [unknown, number, RegExp][] = [
      [
        { set: { PORT: 'eighty' } },
        400,
        /^invalid values: setting PORT must be a port \(an integer 1-65535\) \(checked against gizmo@1\.0\.0, which acme\/gw-1 would run\): nothing was changed$/,
      ],
      [
        { set: { GREETNG: 'hi' } },
        400,
        /GREETNG is not a setting of this release \(known: GREETING, PORT, TOKEN\)/,
      ],
      [{ set: { 'not-a-name': 'x' } }, 400, /"not-a-name" is not a setting name/],
      [{ set: { GREETING: 'x' }, unset: ['GREETING'] }, 400, /GREETING is both set and unset/],
      [{}, 400, /nothing to change/],
      [{ set: { GREETING: { nested: true } } }, 400, /body\.set\.GREETING must be string/],
      [{ unset: ['PORT'] }, 404, /PORT is not set for customer "acme"/],
    ];
    for (const [body, status, re] of cases) {
      const r = await call('PATCH', customerValues, hub.admin.token, body);
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.match(errorOf(r).message, re);
    }
    assert.deepEqual(await hub.db.listSiteValues(acme.id, APP), before);
  });

  it('only vendor users with customer:write change values; customers read their own only; instances read theirs only through self', async () => {
    const change = { set: { GREETING: 'x' } };
    assert.equal((await call('PATCH', customerValues, viewer, change)).status, 403);
    assert.equal((await call('PATCH', customerValues, acme.token, change)).status, 404);
    assert.equal((await call('PATCH', `/instances/${inst.id}/values`, acme.token, change)).status, 404);
    assert.equal((await call('GET', customerValues, globexToken)).status, 404);
    assert.equal((await call('GET', `/instances/${inst.id}/values`, globexToken)).status, 404);
    assert.equal((await call('GET', customerValues, inst.credential)).status, 404);
    for (const token of [hub.admin.token, acme.token])
      assert.equal((await call('GET', '/instances/self/values?version=1.0.0', token)).status, 404);
    assert.equal((await call('GET', `/customers/acme/apps/other/values`, hub.admin.token)).status, 404);
  });

  it("an instance's values override its customer's; the instance alone reads them in clear, with the digest its desired state names", async () => {
    const set = await call('PATCH', `/instances/${inst.id}/values`, hub.admin.token, {
      set: { GREETING: 'hallo', PORT: 9090 },
    });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    const list = await call('GET', `/instances/${inst.id}/values`, acme.token);
    const levels = Object.fromEntries(
      (list.json.values as { name: string; level: string }[]).map((v) => [v.name, v.level]),
    );
    assert.deepEqual(levels, { GREETING: 'instance', PORT: 'instance', TOKEN: 'customer' });
    const self = await call('GET', '/instances/self/values?version=1.0.0', inst.credential);
    assert.equal(self.status, 200);
    assert.deepEqual(self.json.values, { GREETING: 'hallo', PORT: '9090', TOKEN: SECRET });
    assert.deepEqual(self.json.secret, ['TOKEN']);
    assert.equal(self.json.digest, valuesDigest({ GREETING: 'hallo', PORT: '9090', TOKEN: SECRET }));
    assert.equal(
      (await call('GET', '/instances/self/values?version=2.0.0', inst.credential)).status,
      404,
      'a release not offered to it',
    );
    const before = await hub.app.hub.desired.answer(principal);
    await call('PATCH', customerValues, hub.admin.token, { set: { TOKEN: `${SECRET}-rotated` } });
    assert.notEqual(
      (await hub.app.hub.desired.answer(principal)).etag,
      before.etag,
      'a changed secret changes the desired state',
    );
  });

  it('a release missing a required setting is held back with its reason, and offered once the value is set', async () => {
    await seed(hub.db, (tx) => tx.promote(APP, 'stable', '2.0.0', false));
    const set = await call('PATCH', `/instances/${inst.id}/values`, hub.admin.token, {
      set: { GREETING: 'still allowed' },
    });
    assert.equal(set.status, 200, 'a missing required setting does not refuse another value');
    assert.deepEqual(set.json.held, [
      {
        site: 'acme/gw-1',
        release: '2.0.0',
        reason: 'invalid values: setting REGION is required (data region): set it in the values',
      },
    ]);
    await hub.app.hub.desired.answer(principal);
    assert.match(
      (await blocked()) ?? '',
      /^gizmo@2\.0\.0 is held back: invalid values: setting REGION is required \(data region\)/,
    );
    const shown = await call('GET', `/instances/${inst.id}`, hub.admin.token);
    assert.match(String(shown.json.blockedReason), /REGION is required/);
    assert.ok((shown.json.history as { kind: string }[]).some((h) => h.kind === 'blocked'));
    assert.equal(
      (await call('PATCH', customerValues, hub.admin.token, { set: { REGION: 'eu' } })).status,
      200,
    );
    await hub.app.hub.desired.answer(principal);
    assert.equal(await blocked(), null);
    const self = await call('GET', '/instances/self/values?version=2.0.0', inst.credential);
    assert.equal((self.json.values as Record<string, string>).REGION, 'eu');
  });
});
