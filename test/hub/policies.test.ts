// Customer policies over real HTTP: a pinned customer and an upgrade awaiting approval keep the old release in the
// signed desired state until unpinned / approved by the customer's own token; release notes between versions are
// exact; and another tenant's token gets 404 on every one of these routes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { build, createFirstAdmin, openMetadataDb, statusOf, type MetadataDb } from '../../src/hub/index.ts';
import { SkiffError } from '../../src/util/index.ts';
import { HubClient } from '../../src/hub-client/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust, serializeRoot } from '../../src/trust/index.ts';
import { enrollInstance, pollDesired, putPlaceholderRelease, releaseOf, reportVersion, type Enrolled } from '../helpers/checkin.ts';
import { seed } from '../helpers/hub-release.ts';

const APP = 'policed';

describe('customer policies', () => {
  let dir: string;
  let db: MetadataDb;
  let app: FastifyInstance;
  let url: string;
  let admin: HubClient;
  let acme: HubClient;
  let other: HubClient;
  let gw: Enrolled;

  const promote = (version: string) => admin.post(`/apps/${APP}/channels/stable/releases`, { version });
  const desired = async () => releaseOf(await pollDesired(url, gw.credential));
  const status = (p: Promise<unknown>) => p.then(() => 200, (e: unknown) => (e instanceof SkiffError ? statusOf(e.code) : 0));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-policies-'));
    db = await openMetadataDb({ dataDir: dir });
    const { token } = await createFirstAdmin(db);
    app = await build({ db, blobs: new FsBlobStore(join(dir, 'store')), generationMaxAgeMs: 0 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    admin = new HubClient({ hub: url, token });
    const trust = await initTrust(join(dir, 'trust'));
    await admin.post('/apps', { name: APP, root: serializeRoot(trust.root) });
    await admin.request('PUT', `/apps/${APP}/keys/timestamp`, { key: await trust.timestampKeyPem() });
    await seed(db, async (tx) => {
      for (const v of ['1.0.0', '1.1.0', '1.2.0', '2.0.0']) await putPlaceholderRelease(tx, APP, v, `Notes of ${v}.`);
    });
    await promote('1.0.0');
    const a = await admin.post<{ token: string }>('/customers', { name: 'acme', entitlements: [{ app: APP, channel: 'stable' }] });
    const o = await admin.post<{ token: string }>('/customers', { name: 'globex', entitlements: [{ app: APP, channel: 'stable' }] });
    acme = new HubClient({ hub: url, token: a.token });
    other = new HubClient({ hub: url, token: o.token });
    gw = await enrollInstance(url, (await admin.post<{ token: string }>('/customers/acme/enroll-tokens', { app: APP })).token, 'gw-1');
    await reportVersion(url, gw.credential, '1.0.0');
  });
  after(async () => {
    await app?.close();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a pinned customer keeps its release until unpinned', async () => {
    await admin.request('PATCH', `/customers/acme/apps/${APP}/policy`, { pinnedVersion: '1.0.0' });
    await promote('1.1.0');
    assert.equal(await desired(), '1.0.0');
    await admin.request('PATCH', `/customers/acme/apps/${APP}/policy`, { pinnedVersion: null });
    assert.equal(await desired(), '1.1.0');
  });

  it('an upgrade awaiting approval keeps the old release until the customer approves it', async () => {
    await reportVersion(url, gw.credential, '1.1.0');
    assert.equal(await status(other.request('PUT', `/customers/acme/apps/${APP}/approval`, { required: true })), 404);
    assert.equal(await status(acme.request('PUT', `/customers/acme/apps/${APP}/approval`, { required: true })), 404, 'a customer cannot lift its own policy');
    await admin.request('PUT', `/customers/acme/apps/${APP}/approval`, { required: true });
    await promote('1.2.0');
    const held = await pollDesired(url, gw.credential);
    assert.equal(releaseOf(held), '1.1.0', 'the desired state keeps what runs');
    const inst = await admin.get<{ blockedReason: string | null }>(`/instances/${gw.id}`);
    assert.match(String(inst.blockedReason ?? JSON.stringify(inst)), /awaits the approval of customer "acme"/);

    assert.equal(await status(other.post(`/apps/${APP}/approvals`, { version: '1.2.0', customer: 'acme' })), 404, 'another tenant cannot approve for acme');
    assert.equal(await status(other.get(`/customers/acme/apps/${APP}/approval`)), 404);
    assert.equal(await status(acme.post(`/apps/${APP}/approvals`, { version: '2.0.0' })), 404, 'a version the channel does not offer');
    assert.equal(await status(acme.post(`/apps/${APP}/approvals`, { version: 'latest' })), 400);
    assert.equal(await desired(), '1.1.0', 'refused approvals change nothing');

    const approved = await acme.post<{ required: boolean; approved: string[] }>(`/apps/${APP}/approvals`, { version: '1.2.0' });
    assert.deepEqual(approved, { required: true, approved: ['1.2.0'] });
    const next = await pollDesired(url, gw.credential, held.etag);
    assert.equal(next.status, 200, 'the check-in cache saw the approval');
    assert.equal(releaseOf(next), '1.2.0');
    await reportVersion(url, gw.credential, '1.2.0');
  });

  it('release notes are exactly those between what runs (or from) and what the channel offers, and only for the customer', async () => {
    await promote('2.0.0');
    await reportVersion(url, gw.credential, '1.0.0');
    type Notes = { from: string | null; to: string | null; notes: { version: string; changelog: string }[] };
    const mine = await acme.get<Notes>(`/apps/${APP}/notes`);
    assert.equal(mine.from, '1.0.0');
    assert.equal(mine.to, '2.0.0');
    assert.deepEqual(mine.notes.map((n) => [n.version, n.changelog]), [['1.1.0', 'Notes of 1.1.0.'], ['1.2.0', 'Notes of 1.2.0.'], ['2.0.0', 'Notes of 2.0.0.']]);
    const fromMid = await acme.get<Notes>(`/apps/${APP}/notes?from=1.1.0`);
    assert.deepEqual(fromMid.notes.map((n) => n.version), ['1.2.0', '2.0.0']);
    const vendorView = await admin.get<Notes>(`/apps/${APP}/notes?customer=acme`);
    assert.deepEqual(vendorView.notes, mine.notes);
    const globex = await other.get<Notes>(`/apps/${APP}/notes`);
    assert.equal(globex.from, null, 'globex runs nothing: every offered release');
    assert.equal(await status(other.get(`/apps/${APP}/notes?customer=acme`)), 404);
    assert.equal(await status(admin.get(`/apps/${APP}/notes`)), 400);
    assert.equal(await status(acme.get(`/apps/${APP}/notes?from=banana`)), 400);
    assert.equal(await status(acme.get(`/apps/nope/notes`)), 404);
  });

  it("another tenant's token gets 404 on every notification route, and a customer sets only its own opt-in", async () => {
    const hook = await admin.post<{ id: string }>('/webhooks', { url: 'http://127.0.0.1:9/hook' });
    const delivery = '00000000-0000-4000-8000-000000000000';
    for (const [what, call] of [
      ['list webhooks', () => other.get('/webhooks')],
      ['add a webhook', () => other.post('/webhooks', { url: 'http://127.0.0.1:9/x' })],
      ['remove a webhook', () => other.request('DELETE', `/webhooks/${hook.id}`)],
      ['read deliveries', () => other.get(`/webhooks/${hook.id}/deliveries`)],
      ['redeliver', () => other.post(`/deliveries/${delivery}/redeliver`)],
      ["read acme's opt-in", () => other.get('/customers/acme/notifications')],
      ["set acme's opt-in", () => other.request('PUT', '/customers/acme/notifications', { webhooks: true })],
    ] as const)
      assert.equal(await status(call()), 404, what); // each call starts when awaited: a refusal never waits unhandled
    assert.deepEqual(await acme.request('PUT', '/customers/acme/notifications', { email: true, contacts: ['ops@acme.test'] }), { webhooks: false, email: true, contacts: ['ops@acme.test'] });
    assert.equal((await admin.get<{ webhooks: unknown[] }>('/webhooks')).webhooks.length, 1, 'nothing changed by the refused calls');
  });
});
