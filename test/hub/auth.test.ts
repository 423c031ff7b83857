// Auth: login and its throttle, token hashing and revocation, Basic credentials, roles and API-token scopes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/hub/auth/secrets.ts';
import { build, requestAuthenticator } from '../../src/hub/index.ts';
import { distributionPlugin } from '../../src/oci/distribution/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { LoginLimiter, startHub, userToken, type Hub } from './hub-fixture.ts';

describe('hub auth', () => {
  let hub: Hub;
  before(async () => {
    hub = await startHub({ loginLimiter: new LoginLimiter({ maxFailures: 5, windowMs: 60_000 }) });
  });
  after(async () => hub.close());

  it('logs in with the init password and returns a session token', async () => {
    const res = await hub.call('POST', '/api/v1/login', undefined, { username: 'admin', password: hub.admin.password });
    assert.equal(res.status, 200);
    const token = String(res.json.token);
    assert.match(token, /^skh_[A-Za-z0-9_-]{43}$/);
    assert.equal((await hub.call('GET', '/api/v1/whoami', token)).json.username, 'admin');
    const stored = await hub.db.getTokenByHash(hashToken(token));
    assert.equal(stored?.kind, 'session');
    assert.notEqual(stored?.hash, token);
  });

  it('rejects a wrong password and an unknown user alike', async () => {
    const a = await hub.call('POST', '/api/v1/login', undefined, { username: 'admin', password: 'nope' });
    const b = await hub.call('POST', '/api/v1/login', undefined, { username: 'ghost', password: 'nope' });
    assert.equal(a.status, 401);
    assert.deepEqual(a.json, b.json);
  });

  it('answers 429 after 5 failures per address and user, even with the right password', async () => {
    const login = (password: string, remoteAddress: string) =>
      hub.app.inject({ method: 'POST', url: '/api/v1/login', remoteAddress, payload: { username: 'admin', password } });
    for (let i = 0; i < 5; i++) assert.equal((await login('wrong', '10.0.0.9')).statusCode, 401);
    const blocked = await login(hub.admin.password, '10.0.0.9');
    assert.equal(blocked.statusCode, 429);
    assert.equal(JSON.parse(blocked.body).error.code, 'RATE_LIMITED');
    assert.equal((await login(hub.admin.password, '10.0.0.10')).statusCode, 200);
  });

  it('rejects unknown, malformed and revoked tokens with 401', async () => {
    for (const authorization of ['Bearer skh_unknown', `Bearer skh_${'A'.repeat(43)}`, 'Bearer', 'Digest abc', 'Bearer a b']) {
      const res = await hub.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { authorization } });
      assert.equal(res.statusCode, 401, authorization);
      assert.equal(JSON.parse(res.body).error.code, 'UNAUTHORIZED');
    }
    assert.equal((await hub.call('GET', '/api/v1/whoami')).status, 401);
    const made = await hub.call('POST', '/api/v1/tokens', hub.admin.token, { name: 'tmp', scopes: ['read'] });
    const token = String(made.json.token);
    assert.equal((await hub.call('GET', '/api/v1/whoami', token)).status, 200);
    assert.equal((await hub.call('DELETE', `/api/v1/tokens/${String(made.json.id)}`, hub.admin.token)).status, 200);
    assert.equal((await hub.call('GET', '/api/v1/whoami', token)).status, 401);
  });

  it('accepts the token as the password of Basic credentials (docker login)', async () => {
    const authorization = `Basic ${Buffer.from(`ci:${hub.admin.token}`).toString('base64')}`;
    const res = await hub.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { authorization } });
    assert.equal(res.statusCode, 200);
  });

  it('enforces roles: only admins manage users and read the audit log', async () => {
    const viewer = await userToken(hub, 'vera', 'viewer');
    const rm = await userToken(hub, 'rita', 'release-manager');
    assert.equal((await hub.call('GET', '/api/v1/users', viewer)).status, 403);
    assert.equal((await hub.call('POST', '/api/v1/users', rm, { username: 'x', password: 'long enough password', role: 'admin' })).status, 403);
    assert.equal((await hub.call('GET', '/api/v1/audit', rm)).status, 403);
    assert.equal((await hub.call('GET', '/api/v1/apps', viewer)).status, 200);
    assert.equal((await hub.call('POST', '/api/v1/customers', viewer, { name: 'c', entitlements: [] })).status, 403);
    const users = await hub.call('GET', '/api/v1/users', hub.admin.token);
    assert.deepEqual((users.json.users as { username: string }[]).map((u) => u.username), ['admin', 'rita', 'vera']);
  });

  it('narrows API tokens to their scopes and never beyond the role', async () => {
    const rm = await userToken(hub, 'ron', 'release-manager');
    const beyond = await hub.call('POST', '/api/v1/tokens', rm, { name: 'ci', scopes: ['audit:read'] });
    assert.equal(beyond.status, 403);
    const ci = await hub.call('POST', '/api/v1/tokens', rm, { name: 'ci', scopes: ['read'] });
    assert.equal(ci.status, 201);
    const who = await hub.call('GET', '/api/v1/whoami', String(ci.json.token));
    assert.deepEqual(who.json.scopes, ['read']);
    const promote = await hub.call('POST', '/api/v1/apps/netmon/channels/stable/releases', String(ci.json.token), { version: '1.0.0' });
    assert.equal(promote.status, 403);
    const mine = await hub.call('GET', '/api/v1/tokens', rm);
    assert.equal((mine.json.tokens as unknown[]).length, 2);
    const other = await userToken(hub, 'sue', 'support');
    assert.equal((await hub.call('DELETE', `/api/v1/tokens/${String(ci.json.id)}`, other)).status, 404);
  });

  it('logs out by revoking the session token', async () => {
    const login = await hub.call('POST', '/api/v1/login', undefined, { username: 'admin', password: hub.admin.password });
    const token = String(login.json.token);
    assert.equal((await hub.call('POST', '/api/v1/logout', token, {})).status, 200);
    assert.equal((await hub.call('GET', '/api/v1/whoami', token)).status, 401);
  });
});

describe('hub auth as the /v2/ authenticate hook', () => {
  it('lets docker-style Basic credentials through and challenges requests without one', async () => {
    const hub = await startHub();
    try {
      const app = await build({
        db: hub.db,
        blobs: new FsBlobStore(join(hub.dir, 'store')),
        plugins: [
          async (a) =>
            a.register(distributionPlugin, {
              blobs: new FsBlobStore(join(hub.dir, 'store')),
              resolver: { resolveManifest: async () => undefined, blobVisible: async () => false },
              authenticate: requestAuthenticator(hub.db, { required: true }),
            }),
        ],
      });
      try {
        assert.equal((await app.inject({ method: 'GET', url: '/v2/' })).statusCode, 401);
        const bad = await app.inject({ method: 'GET', url: '/v2/', headers: { authorization: 'Bearer skh_nope' } });
        assert.equal(bad.statusCode, 401);
        const authorization = `Basic ${Buffer.from(`any:${hub.admin.token}`).toString('base64')}`;
        assert.equal((await app.inject({ method: 'GET', url: '/v2/', headers: { authorization } })).statusCode, 200);
      } finally {
        await app.close();
      }
    } finally {
      await hub.close();
    }
  });
});
