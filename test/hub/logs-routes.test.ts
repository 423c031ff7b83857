// The log routes: an instance sends its batches (limits: 413 for too many lines, 400 for too long a line), vendor
// users search all, a customer only its own instances, and another customer's instance is not found.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintToken } from '../../src/hub/auth/secrets.ts';
import { MAX_BATCH_LINES, MAX_LINE_CHARS } from '../../src/hub/routes/logs.ts';
import { seed, startHub, type Hub } from './hub-fixture.ts';

const now = (): string => new Date().toISOString();
const line = (seq: number, message: string, service = 'web') => ({ seq, at: now(), service, source: 'stdout', level: 'info', message });

describe('log routes', () => {
  let hub: Hub;
  const customers: Record<string, { id: string; token: string }> = {};
  const instances: Record<string, { id: string; credential: string }> = {};
  before(async () => {
    hub = await startHub();
    for (const name of ['acme', 'globex']) {
      const res = await hub.call('POST', '/api/v1/customers', hub.admin.token, { name, entitlements: [] });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      const c = await hub.db.getCustomerByName(name);
      assert.ok(c);
      customers[name] = { id: c.id, token: String(res.json.token) };
      const credential = mintToken('ski_');
      const inst = await seed(hub.db, async (tx) => {
        const i = await tx.createInstance({ customerId: c.id, app: 'netmon', name: `${name}-gw` });
        await tx.createToken({ kind: 'instance', hash: credential.hash, name: `instance ${name}`, userId: null, customerId: c.id, instanceId: i.id, scopes: [], expiresAt: null });
        return i;
      });
      instances[name] = { id: inst.id, credential: credential.token };
    }
  });
  after(async () => hub.close());

  const send = (who: string, body: unknown, id = instances[who]?.id) => hub.call('POST', `/api/v1/instances/${id}/logs`, instances[who]?.credential, body);

  it('stores an instance’s batch once and answers how far it got', async () => {
    const body = { stream: 'acme-stream-1', lines: [line(1, 'hello from acme'), line(2, 'db ready', 'db')] };
    assert.deepEqual((await send('acme', body)).json, { stored: 2, lastSeq: 2 });
    assert.deepEqual((await send('acme', body)).json, { stored: 0, lastSeq: 2 });
    await send('globex', { stream: 'globex-stream-1', lines: [line(1, 'hello from globex')] });
    const counted = async (name: string) => (await hub.app.hub.metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.app === 'netmon')?.value;
    assert.equal(await counted('skiff_hub_log_lines_ingested_total'), 3, 'the ingest counter counts each stored line once');
    assert.equal(await counted('skiff_hub_log_bytes_ingested_total'), 'hello from acme'.length + 'db ready'.length + 'hello from globex'.length);
  });

  it('refuses an oversized batch (413) and too long a line (400) with a clear message, storing nothing', async () => {
    const many = await send('acme', { stream: 'acme-stream-1', lines: Array.from({ length: MAX_BATCH_LINES + 1 }, (_, i) => line(100 + i, 'x')) });
    assert.equal(many.status, 413);
    assert.match(JSON.stringify(many.json), /at most 2000 lines .*smaller batches/);
    const long = await send('acme', { stream: 'acme-stream-1', lines: [line(100, 'y'.repeat(MAX_LINE_CHARS + 1))] });
    assert.equal(long.status, 400);
    assert.match(JSON.stringify(long.json), /body\.lines\.0\.message/);
    const bad = await send('acme', { stream: 'acme-stream-1', lines: [{ ...line(100, 'z'), level: 'loud' }] });
    assert.equal(bad.status, 400);
    const search = await hub.call('GET', `/api/v1/logs?instance=${instances.acme?.id}`, hub.admin.token);
    assert.equal((search.json.lines as unknown[]).length, 2);
  });

  it('an instance sends only its own logs', async () => {
    assert.equal((await send('acme', { stream: 'acme-stream-1', lines: [line(3, 'x')] }, instances.globex?.id)).status, 404);
    assert.equal((await hub.call('POST', `/api/v1/instances/${instances.acme?.id}/logs`, customers.acme?.token, { stream: 'acme-stream-1', lines: [] })).status, 404);
  });

  it('vendor users search everything; a customer sees only its own instances; an instance cannot search', async () => {
    const all = await hub.call('GET', '/api/v1/logs?q=hello', hub.admin.token);
    assert.deepEqual((all.json.lines as { message: string }[]).map((l) => l.message).sort(), ['hello from acme', 'hello from globex']);
    const own = await hub.call('GET', '/api/v1/logs', customers.acme?.token);
    assert.deepEqual((own.json.lines as { message: string }[]).map((l) => l.message), ['hello from acme', 'db ready']);
    const service = await hub.call('GET', `/api/v1/logs?instance=${instances.acme?.id}&service=db`, customers.acme?.token);
    assert.deepEqual((service.json.lines as { message: string }[]).map((l) => l.message), ['db ready']);
    const foreign = await hub.call('GET', `/api/v1/logs?instance=${instances.globex?.id}`, customers.acme?.token);
    assert.equal(foreign.status, 404);
    assert.equal((await hub.call('GET', '/api/v1/logs', instances.acme?.credential)).status, 404);
    assert.equal((await hub.call('GET', '/api/v1/logs?since=yesterday', hub.admin.token)).status, 400);
    assert.equal((await hub.call('GET', '/api/v1/logs?limit=0', hub.admin.token)).status, 400);
    assert.deepEqual(((await hub.call('GET', '/api/v1/logs?limit=1', customers.acme?.token)).json.lines as { message: string }[]).map((l) => l.message), ['db ready']);
  });

  it('sets a customer’s retention (vendor users with customer:write only)', async () => {
    assert.deepEqual((await hub.call('PUT', '/api/v1/customers/acme/log-retention', hub.admin.token, { days: 30 })).json, { customer: 'acme', days: 30 });
    assert.equal(await hub.db.logs.retentionDays(customers.acme?.id ?? ''), 30);
    assert.equal((await hub.call('PUT', '/api/v1/customers/acme/log-retention', customers.acme?.token, { days: 1 })).status, 404);
    assert.equal((await hub.call('PUT', '/api/v1/customers/acme/log-retention', hub.admin.token, { days: 0 })).status, 400);
  });
});
