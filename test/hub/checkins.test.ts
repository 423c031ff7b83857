// The check-in path over real HTTP: an unchanged poll is a 304 that reads nothing from the database, and every
// change that decides an answer or a credential is seen by the very next poll — a revoke, a promotion, a new version
// reported, an entitlement running out, the signing period ending, a new timestamp key.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { verifyDesired } from '../../src/fleet/index.ts';
import { build, createFirstAdmin, openMetadataDb, type MetadataDb } from '../../src/hub/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust, rotateTrust, serializeRoot } from '../../src/trust/index.ts';
import { HubClient } from '../../src/hub-client/index.ts';
import { enrollInstance, pollDesired, putPlaceholderRelease, releaseOf, reportVersion, type Enrolled } from '../helpers/checkin.ts';
import { seed } from '../helpers/hub-release.ts';

const APP = 'checkin';
const PERIOD_S = 600;

describe('check-ins', () => {
  let dir: string;
  let db: MetadataDb;
  let app: FastifyInstance;
  let url: string;
  let admin: HubClient;
  /** The MetadataDb methods the hub called, in order. */
  const calls: string[] = [];

  let clockOffsetMs = 0;

  const enroll = async (customer: string, name: string): Promise<Enrolled> =>
    enrollInstance(url, (await admin.post<{ token: string }>(`/customers/${customer}/enroll-tokens`, { app: APP })).token, name);
  const promote = (version: string, required = false) => admin.post(`/apps/${APP}/channels/stable/releases`, { version, required });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-checkins-'));
    db = await openMetadataDb({ dataDir: dir });
    const counted = new Proxy(db, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const { token } = await createFirstAdmin(db);
    // A generation read stays usable for a minute here: only this hub's own writes make it read anew, so each change
    // below reaches the next poll through them (how changes through another replica arrive: replicas-checkins.test.ts).
    app = await build({
      db: counted,
      blobs: new FsBlobStore(join(dir, 'store')),
      generationMaxAgeMs: 60_000,
      desired: { periodSeconds: PERIOD_S, now: () => new Date(Date.now() + clockOffsetMs) },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    admin = new HubClient({ hub: url, token });
    const trust = await initTrust(join(dir, 'trust'));
    await admin.post('/apps', { name: APP, root: serializeRoot(trust.root) });
    await admin.request('PUT', `/apps/${APP}/keys/timestamp`, { key: await trust.timestampKeyPem() });
    await seed(db, async (tx) => {
      for (const v of ['1.0.0', '1.1.0', '1.2.0']) await putPlaceholderRelease(tx, APP, v);
    });
    await promote('1.0.0');
    await admin.post('/customers', { name: 'acme', entitlements: [{ app: APP, channel: 'stable' }] });
  });
  after(async () => {
    await app?.close();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an unchanged poll is a 304 that reads nothing', async () => {
    const i = await enroll('acme', 'gw-1');
    const first = await pollDesired(url, i.credential);
    assert.equal(first.status, 200);
    assert.equal(releaseOf(first), '1.0.0');
    assert.equal((await pollDesired(url, i.credential, first.etag)).status, 304);
    calls.length = 0;
    const again = await pollDesired(url, i.credential, first.etag);
    assert.equal(again.status, 304);
    assert.equal(again.etag, first.etag);
    assert.deepEqual(calls, [], 'the generation read before is recent, and the rest is cached');
  });

  it('a revoke is seen by the very next poll, right after a cached 304', async () => {
    const i = await enroll('acme', 'gw-revoked');
    const first = await pollDesired(url, i.credential);
    assert.equal((await pollDesired(url, i.credential, first.etag)).status, 304);
    await admin.post(`/instances/${i.id}/revoke`, {});
    assert.equal((await pollDesired(url, i.credential, first.etag)).status, 401);
  });

  it('a promotion gives the next poll a new answer', async () => {
    const i = await enroll('acme', 'gw-2');
    const first = await pollDesired(url, i.credential);
    assert.equal((await pollDesired(url, i.credential, first.etag)).status, 304);
    await promote('1.2.0');
    const next = await pollDesired(url, i.credential, first.etag);
    assert.equal(next.status, 200);
    assert.equal(releaseOf(next), '1.2.0');
    assert.notEqual(next.etag, first.etag);
  });

  it('a report of a new version gives the next poll a new answer; a heartbeat keeps the cache', async () => {
    await promote('1.1.0', true);
    const i = await enroll('acme', 'gw-3');
    await reportVersion(url, i.credential, '1.0.0');
    const step = await pollDesired(url, i.credential);
    assert.equal(releaseOf(step), '1.1.0', 'a required release comes first');
    await reportVersion(url, i.credential, '1.0.0');
    calls.length = 0;
    assert.equal((await pollDesired(url, i.credential, step.etag)).status, 304);
    assert.deepEqual(calls, ['generation'], 'after a write through this hub the generation is read anew, and it has not moved');
    await reportVersion(url, i.credential, '1.1.0');
    const next = await pollDesired(url, i.credential, step.etag);
    assert.equal(next.status, 200);
    assert.equal(releaseOf(next), '1.2.0');
  });

  it('an answer ends with its customer’s entitlement', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    await admin.post('/customers', { name: 'shortlived', entitlements: [{ app: APP, channel: 'stable', expiresAt }] });
    const i = await enroll('shortlived', 'gw-1');
    const first = await pollDesired(url, i.credential);
    assert.equal(releaseOf(first), '1.2.0');
    assert.equal((await pollDesired(url, i.credential, first.etag)).status, 304);
    await new Promise((r) => setTimeout(r, Date.parse(expiresAt) - Date.now() + 100));
    const after = await pollDesired(url, i.credential, first.etag);
    assert.equal(after.status, 200, 'not the cached 304');
    assert.equal(releaseOf(after), null);
  });

  it('an answer ends with its signing period', async () => {
    const i = await enroll('acme', 'gw-4');
    const first = await pollDesired(url, i.credential);
    assert.equal((await pollDesired(url, i.credential, first.etag)).status, 304);
    clockOffsetMs += PERIOD_S * 1000;
    const next = await pollDesired(url, i.credential, first.etag);
    assert.equal(next.status, 200);
    const issued = (a: unknown) => Date.parse((a as { signed: { issued: string } }).signed.issued);
    assert.ok(issued(next.body) > issued(first.body), 'signed anew for the new period');
  });

  it('a new timestamp key gives the next poll an answer it signed', async () => {
    const i = await enroll('acme', 'gw-5');
    const first = await pollDesired(url, i.credential);
    assert.equal((await pollDesired(url, i.credential, first.etag)).status, 304);
    const rotated = await rotateTrust(join(dir, 'trust'), { timestamp: true, root: false, release: false });
    await admin.post(`/apps/${APP}/roots`, { root: serializeRoot(rotated.root) });
    await admin.request('PUT', `/apps/${APP}/keys/timestamp`, { key: await rotated.timestampKeyPem() });
    const next = await pollDesired(url, i.credential, first.etag);
    assert.equal(next.status, 200);
    assert.equal(verifyDesired(next.body, { root: rotated.root, app: APP, instance: i.id, now: new Date(Date.now() + clockOffsetMs) }).release?.version, '1.2.0');
  });
});
