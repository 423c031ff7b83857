// The console's client types (web/src/api-types.ts) are generated from the hub's OpenAPI document: the committed file
// must be what the generator writes now; the documented answers are in the document; reads carry ETags and answer 304.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { API_TYPES_FILE, apiTypesSource, openapiDocument } from '../../scripts/web-api-types.ts';
import { makeRoot, startHub, type Hub } from '../hub/hub-fixture.ts';

describe('web/src/api-types.ts', () => {
  it('is what scripts/web-api-types.ts generates from the hub as it is now (else: node --import tsx scripts/web-api-types.ts)', async () => {
    const committed = await readFile(API_TYPES_FILE, 'utf8');
    assert.ok(committed === (await apiTypesSource()), 'web/src/api-types.ts is stale: run `node --import tsx scripts/web-api-types.ts` and commit it');
  });

  it('types the answers of the routes the console reads', async () => {
    const doc = (await openapiDocument()) as unknown as { paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>> };
    for (const [path, method, status] of [['/api/v1/rollouts', 'get', '200'], ['/api/v1/instances/{id}', 'get', '200'], ['/api/v1/logs', 'get', '200'], ['/api/v1/rollouts/{id}/pause', 'post', '200'], ['/api/v1/instances/{id}/support-bundle-request', 'post', '202']] as const) {
      assert.ok(doc.paths[path]?.[method]?.responses[status]?.content, `${method} ${path} documents its ${status} answer`);
    }
  });
});

describe('ETags on reads', () => {
  let hub: Hub;
  before(async () => {
    hub = await startHub();
  });
  after(async () => hub?.close());

  it('a read names its answer; asked again with that ETag it is a bodiless 304 until the answer changes', async () => {
    const get = (etag?: string) => hub.app.inject({ method: 'GET', url: '/api/v1/apps', headers: { authorization: `Bearer ${hub.admin.token}`, ...(etag ? { 'if-none-match': etag } : {}) } });
    const first = await get();
    const etag = first.headers.etag;
    assert.equal(first.statusCode, 200);
    assert.match(String(etag), /^W\/"[\w-]+"$/);
    assert.match(String(first.headers['cache-control']), /private/);
    const again = await get(String(etag));
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    const { root } = await makeRoot();
    assert.equal((await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: 'gateway', root })).status, 201);
    const changed = await get(String(etag));
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.match(changed.body, /gateway/);
  });
});
