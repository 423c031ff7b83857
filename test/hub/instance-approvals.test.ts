// Per-instance upgrade approval over real HTTP: with approval required, a customer approves version V for one of its
// instances and only that instance's signed desired state moves; its other instances stay held. A customer token
// reaches only its own instances (404 for another customer's), an instance cannot approve itself, bad input is a 4xx
// that changes nothing, and `skiff instance approve` / `skiff instance tag` speak the same routes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { instanceCommand } from '../../src/cli/instance.ts';
import { build, createFirstAdmin, openMetadataDb, statusOf, type MetadataDb } from '../../src/hub/index.ts';
import { HubClient } from '../../src/hub-client/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust, serializeRoot } from '../../src/trust/index.ts';
import { SkiffError } from '../../src/util/index.ts';
import { enrollInstance, pollDesired, putPlaceholderRelease, releaseOf, reportVersion, type Enrolled } from '../helpers/checkin.ts';
import { seed } from '../helpers/hub-release.ts';
import { runCommand } from './hub-fixture.ts';

const APP = 'approved';

interface Approvals { instance: string; customer: string; app: string; required: boolean; customerApproved: string[]; approved: { version: string; approvedBy: string }[] }

describe('per-instance upgrade approval', () => {
  let dir: string;
  let db: MetadataDb;
  let app: FastifyInstance;
  let url: string;
  let adminToken: string;
  let admin: HubClient;
  let acme: HubClient;
  let other: HubClient;
  let first: Enrolled;
  let second: Enrolled;
  let foreign: Enrolled;

  const status = (p: Promise<unknown>) => p.then(() => 200, (e: unknown) => (e instanceof SkiffError ? statusOf(e.code) : 0));
  const desired = async (i: Enrolled) => releaseOf(await pollDesired(url, i.credential));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-instance-approvals-'));
    db = await openMetadataDb({ dataDir: dir });
    adminToken = (await createFirstAdmin(db)).token;
    app = await build({ db, blobs: new FsBlobStore(join(dir, 'store')), generationMaxAgeMs: 0 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    admin = new HubClient({ hub: url, token: adminToken });
    const trust = await initTrust(join(dir, 'trust'));
    await admin.post('/apps', { name: APP, root: serializeRoot(trust.root) });
    await admin.request('PUT', `/apps/${APP}/keys/timestamp`, { key: await trust.timestampKeyPem() });
    await seed(db, async (tx) => {
      for (const v of ['1.0.0', '1.1.0', '2.0.0']) await putPlaceholderRelease(tx, APP, v);
    });
    await admin.post(`/apps/${APP}/channels/stable/releases`, { version: '1.0.0' });
    const a = await admin.post<{ token: string }>('/customers', { name: 'acme', entitlements: [{ app: APP, channel: 'stable' }] });
    const o = await admin.post<{ token: string }>('/customers', { name: 'globex', entitlements: [{ app: APP, channel: 'stable' }] });
    acme = new HubClient({ hub: url, token: a.token });
    other = new HubClient({ hub: url, token: o.token });
    const enroll = async (customer: string, name: string) => enrollInstance(url, (await admin.post<{ token: string }>(`/customers/${customer}/enroll-tokens`, { app: APP })).token, name);
    first = await enroll('acme', 'gw-1');
    second = await enroll('acme', 'gw-2');
    foreign = await enroll('globex', 'gx-1');
    for (const i of [first, second, foreign]) await reportVersion(url, i.credential, '1.0.0');
    for (const c of ['acme', 'globex']) await admin.request('PUT', `/customers/${c}/apps/${APP}/approval`, { required: true });
    await admin.post(`/apps/${APP}/channels/stable/releases`, { version: '1.1.0' });
  });

  after(async () => {
    await app?.close();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("approves one instance: it moves, the customer's other instances stay held", async () => {
    assert.deepEqual([await desired(first), await desired(second)], ['1.0.0', '1.0.0'], 'both held before');
    const before = await acme.get<Approvals>(`/instances/${first.id}/approvals`);
    assert.deepEqual({ ...before, approved: before.approved.length }, { instance: first.id, name: 'gw-1', customer: 'acme', app: APP, required: true, customerApproved: [], approved: 0 });

    const given = await acme.post<Approvals>(`/instances/${first.id}/approvals`, { version: '1.1.0' });
    assert.deepEqual(given.approved.map((a) => a.version), ['1.1.0']);
    assert.match(given.approved[0]?.approvedBy ?? '', /acme/);
    assert.equal(await desired(first), '1.1.0', 'the approved instance moves');
    assert.equal(await desired(second), '1.0.0', 'its sibling stays held');
    assert.equal(await desired(foreign), '1.0.0', 'another customer is untouched');
    const audit = (await admin.get<{ entries: { action: string; target: string }[] }>('/audit?limit=1000')).entries.filter((e) => e.action === 'instance.approve');
    assert.deepEqual(audit.map((e) => e.target), [`instance:${first.id}`]);
  });

  it("is tenant-bound: another customer's token gets 404; an instance cannot approve itself; bad input changes nothing", async () => {
    assert.equal(await status(other.post(`/instances/${second.id}/approvals`, { version: '1.1.0' })), 404, "globex on acme's instance");
    assert.equal(await status(other.get(`/instances/${second.id}/approvals`)), 404);
    assert.equal(await status(acme.post(`/instances/${foreign.id}/approvals`, { version: '1.1.0' })), 404, "acme on globex's instance");
    assert.equal(await status(new HubClient({ hub: url, token: second.credential }).post(`/instances/${second.id}/approvals`, { version: '1.1.0' })), 403);
    assert.equal(await status(acme.post(`/instances/${second.id}/approvals`, { version: '2.0.0' })), 404, 'a version its channel does not offer');
    assert.equal(await status(acme.post(`/instances/${second.id}/approvals`, { version: 'latest' })), 400);
    assert.equal(await status(acme.post('/instances/not-an-id/approvals', { version: '1.1.0' })), 400);
    assert.equal(await status(acme.post(`/instances/${second.id}/approvals`, {})), 400);
    assert.deepEqual((await acme.get<Approvals>(`/instances/${second.id}/approvals`)).approved, []);
    assert.equal(await desired(second), '1.0.0');
    assert.equal(await desired(foreign), '1.0.0');
  });

  it('the CLI approves for one instance and tags instances (vendor only)', async () => {
    const hub = ['--hub', url];
    const approved = await runCommand((out) => instanceCommand(out), ['approve', second.id, '1.1.0', ...hub, '--token', adminToken]);
    assert.equal(approved.code, 0, approved.out);
    assert.equal(await desired(second), '1.1.0');
    assert.equal(await desired(foreign), '1.0.0');

    const tagged = await runCommand((out) => instanceCommand(out), ['tag', first.id, 'region=eu', 'tier=gold', ...hub, '--token', adminToken]);
    assert.equal(tagged.code, 0, tagged.out);
    assert.match(tagged.out, /tags region=eu tier=gold/);
    const removed = await runCommand((out) => instanceCommand(out), ['tag', first.id, '--remove', 'tier', ...hub, '--token', adminToken]);
    assert.match(removed.out, /tags region=eu\n/);
    const listed = await runCommand((out) => instanceCommand(out), ['list', '--tag', 'region=eu', ...hub, '--token', adminToken]);
    assert.match(listed.out, /gw-1/);
    assert.doesNotMatch(listed.out, /gw-2|gx-1/);
    const bad = await runCommand((out) => instanceCommand(out), ['tag', first.id, 'Region', ...hub, '--token', adminToken]);
    assert.notEqual(bad.code, 0);
    assert.equal(await status(acme.request('PUT', `/instances/${first.id}/tags`, { tags: { region: 'us' } })), 404, 'tags are the vendor’s');
    assert.deepEqual((await admin.get<{ tags: Record<string, string> }>(`/instances/${first.id}`)).tags, { region: 'eu' });
  });
});
