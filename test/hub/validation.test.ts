// Malformed params, bodies, query strings and headers on every route (read from the OpenAPI document): 4xx naming the field, never 500.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHub, type Hub } from './hub-fixture.ts';

interface Operation {
  requestBody?: unknown;
  parameters?: { in: string; name: string }[];
}

const GOOD_PARAMS: Record<string, string> = {
  app: 'netmon',
  channel: 'stable',
  version: '1.0.0',
  customer: 'acme',
  id: '00000000-0000-4000-8000-000000000000',
};
const BAD_PARAMS = ['UPPER', '.hidden', '-dash', 'a%20b', 'x'.repeat(300)];

describe('hub input validation on every route', () => {
  let hub: Hub;
  let routes: { method: string; path: string; op: Operation }[];
  before(async () => {
    hub = await startHub();
    const doc = (await hub.call('GET', '/api/openapi.json')).json as { openapi: string; paths: Record<string, Record<string, Operation>> };
    assert.match(doc.openapi, /^3\./);
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
    );
    assert.ok(routes.length >= 20, `only ${routes.length} routes in the OpenAPI document`);
  });
  after(async () => hub.close());

  const fill = (path: string, override?: [string, string]): string =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => (override?.[0] === name ? override[1] : (GOOD_PARAMS[name] ?? 'x')));

  const inject = async (method: string, url: string, opts: { payload?: string; headers?: Record<string, string> } = {}) => {
    const res = await hub.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${hub.admin.token}`, ...(opts.payload !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      ...(opts.payload !== undefined ? { payload: opts.payload } : {}),
    });
    const body = JSON.parse(res.body) as { error?: { code: string; message: string } };
    assert.ok(res.statusCode < 500, `${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return { status: res.statusCode, error: body.error };
  };

  it('rejects malformed path parameters with 400 naming the parameter', async () => {
    for (const { method, path, op } of routes) {
      for (const p of (op.parameters ?? []).filter((x) => x.in === 'path')) {
        // User names compare case-insensitively: an upper-case one is a name, not a malformed value.
        for (const bad of p.name === 'username' ? BAD_PARAMS.filter((b) => b !== 'UPPER') : BAD_PARAMS) {
          const body = op.requestBody ? '{}' : undefined;
          const res = await inject(method, fill(path, [p.name, encodeURIComponent(bad).replace(/%2520/, '%20')]), { payload: body });
          assert.equal(res.status, 400, `${method} ${path} with ${p.name}=${bad}`);
          assert.equal(res.error?.code, 'INVALID_INPUT');
          assert.match(res.error?.message ?? '', new RegExp(`params\\.${p.name}`), `${method} ${path}: ${res.error?.message}`);
        }
      }
    }
  });

  it('rejects malformed bodies with 400 naming the body or field', async () => {
    const withBody = routes.filter((r) => r.op.requestBody);
    assert.ok(withBody.length >= 10);
    for (const { method, path } of withBody) {
      const url = fill(path);
      for (const payload of ['{"unterminated', '[1,2]', '"text"', '42', 'null', '{"surprise":true}', '{"name":{"$gt":""},"username":7}']) {
        const res = await inject(method, url, { payload });
        assert.equal(res.status, 400, `${method} ${path} with ${payload}`);
        assert.equal(res.error?.code, 'INVALID_INPUT');
        assert.match(res.error?.message ?? '', /body|JSON/i, `${method} ${path}: ${res.error?.message}`);
      }
      const wrongType = await inject(method, url, { payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(wrongType.status, 415, `${method} ${path} with a form body`);
    }
  });

  it('rejects malformed or unknown query parameters', async () => {
    for (const query of ['limit=abc', 'after=-1', 'limit=1e9', 'bogus=1']) {
      const res = await inject('GET', `/api/v1/audit?${query}`);
      assert.equal(res.status, 400, query);
      assert.match(res.error?.message ?? '', /querystring/);
    }
  });

  it('rejects malformed Authorization headers with 401 on every route', async () => {
    for (const { method, path, op } of routes) {
      for (const authorization of ['Bearer', 'Bearer a b c', 'Basic !!!', 'Token xyz', `Bearer ${'x'.repeat(5000)}`]) {
        const res = await inject(method, fill(path), { headers: { authorization }, payload: op.requestBody ? '{}' : undefined });
        assert.equal(res.status, 401, `${method} ${path} with ${authorization.slice(0, 20)}`);
        assert.equal(res.error?.code, 'UNAUTHORIZED');
      }
    }
  });

  it('rejects out-of-range values inside valid bodies, naming the field', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/api/v1/users', { username: 'bob', password: 'short', role: 'admin' }, /body\.password/],
      ['POST', '/api/v1/users', { username: 'bob', password: 'long enough password', role: 'root' }, /body\.role/],
      ['POST', '/api/v1/tokens', { name: 'ci', scopes: ['everything'] }, /body\.scopes\.0/],
      ['POST', '/api/v1/tokens', { name: 'ci', scopes: ['read'], expiresInDays: 0 }, /body\.expiresInDays/],
      ['POST', '/api/v1/customers', { name: 'acme', entitlements: [{ app: 'netmon' }] }, /body\.entitlements\.0\.channel/],
      ['POST', '/api/v1/customers', { name: 'acme', entitlements: [{ app: 'netmon', channel: 'stable', expiresAt: 'soon' }] }, /body\.entitlements\.0\.expiresAt/],
      ['POST', '/api/v1/apps/netmon/channels/stable/releases', { version: 'v1' }, /body\.version/],
      ['PATCH', '/api/v1/apps/netmon/channels/stable/releases/1.0.0', { required: 'yes' }, /body\.required/],
      ['POST', '/api/v1/login', { username: 'admin' }, /body\.password/],
    ];
    for (const [method, url, body, re] of cases) {
      const res = await inject(method, url, { payload: JSON.stringify(body) });
      assert.equal(res.status, 400, `${method} ${url} ${JSON.stringify(body)}`);
      assert.match(res.error?.message ?? '', re, `${method} ${url}: ${res.error?.message}`);
    }
  });

  it('answers unknown routes with the error shape', async () => {
    const res = await inject('GET', '/api/v1/nowhere');
    assert.equal(res.status, 404);
    assert.equal(res.error?.code, 'NOT_FOUND');
  });
});
