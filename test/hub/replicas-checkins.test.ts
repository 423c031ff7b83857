// Check-ins across two real `skiff hub serve` replicas on one PostgreSQL database: each replica caches the answers it
// computed, and a change made through the other one — a promotion, a new version reported, a revoke — is seen by its
// polls within DEFAULT_GENERATION_MAX_AGE_MS, right after a cached 304; a write is checked against the newest state.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { DEFAULT_GENERATION_MAX_AGE_MS } from '../../src/hub/app.ts';
import { HUB_KEY_FILE } from '../../src/hub/auth/sealing.ts';
import { openPostgresMetadataDb } from '../../src/hub/index.ts';
import { HubClient } from '../../src/hub-client/index.ts';
import { initTrust, serializeRoot } from '../../src/trust/index.ts';
import { enrollInstance, pollDesired, putPlaceholderRelease, releaseOf, reportVersion } from '../helpers/checkin.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { seed } from '../helpers/hub-release.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';

const APP = 'replcheck';
/** A change made through one replica reaches the other's read-only requests within the bound. */
const propagated = (): Promise<void> => new Promise((r) => setTimeout(r, DEFAULT_GENERATION_MAX_AGE_MS + 50));

describe('check-ins across hub replicas on PostgreSQL', () => {
  let pg: TempDatabase;
  let dirs: string[];
  let r1: HubProcess;
  let r2: HubProcess;
  let admin1: HubClient;

  before(async () => {
    pg = await tempDatabase();
    dirs = [await mkdtemp(path.join(os.tmpdir(), 'skiff-rc1-')), await mkdtemp(path.join(os.tmpdir(), 'skiff-rc2-'))];
    const [d1 = '', d2 = ''] = dirs;
    const { token } = await hubInit({ data: d1, database: pg.url });
    r1 = await startHubProcess({ data: d1, database: pg.url });
    // Replicas share the hub key, which seals the app's timestamp key.
    await copyFile(path.join(d1, HUB_KEY_FILE), path.join(d2, HUB_KEY_FILE));
    r2 = await startHubProcess({ data: d2, database: pg.url });
    admin1 = new HubClient({ hub: r1.url, token });
    const trust = await initTrust(path.join(d1, 'trust'));
    await admin1.post('/apps', { name: APP, root: serializeRoot(trust.root) });
    await admin1.request('PUT', `/apps/${APP}/keys/timestamp`, { key: await trust.timestampKeyPem() });
    const db = openPostgresMetadataDb(pg.url);
    try {
      await seed(db, async (tx) => {
        for (const v of ['1.0.0', '1.1.0', '1.2.0']) await putPlaceholderRelease(tx, APP, v);
      });
    } finally {
      await db.close();
    }
    await admin1.post(`/apps/${APP}/channels/stable/releases`, { version: '1.0.0' });
    await new HubClient({ hub: r2.url, token }).post('/customers', { name: 'acme', entitlements: [{ app: APP, channel: 'stable' }] });
  });

  after(async () => {
    await r1?.stop();
    await r2?.stop();
    await pg?.drop();
    for (const d of dirs ?? []) await rm(d, { recursive: true, force: true });
  });

  it('sees promotions, reported versions and revokes made through the other replica', async () => {
    const enrollToken = (await admin1.post<{ token: string }>('/customers/acme/enroll-tokens', { app: APP, uses: 2 })).token;
    const a = await enrollInstance(r2.url, enrollToken, 'gw-a');
    const b = await enrollInstance(r1.url, enrollToken, 'gw-b');

    const first = await pollDesired(r2.url, a.credential);
    assert.equal(releaseOf(first), '1.0.0');
    assert.equal((await pollDesired(r2.url, a.credential, first.etag)).status, 304);
    assert.equal((await pollDesired(r1.url, a.credential, first.etag)).status, 304, 'both replicas give the same ETag');

    await admin1.post(`/apps/${APP}/channels/stable/releases`, { version: '1.1.0', required: true });
    await admin1.post(`/apps/${APP}/channels/stable/releases`, { version: '1.2.0' });
    await propagated();
    const promoted = await pollDesired(r2.url, a.credential, first.etag);
    assert.equal(promoted.status, 200, 'replica 2 saw the promotion made through replica 1');
    assert.equal(releaseOf(promoted), '1.2.0');

    await reportVersion(r2.url, b.credential, '1.0.0');
    const step = await pollDesired(r2.url, b.credential);
    assert.equal(releaseOf(step), '1.1.0', 'the required release first');
    assert.equal((await pollDesired(r2.url, b.credential, step.etag)).status, 304);
    await reportVersion(r1.url, b.credential, '1.1.0');
    await propagated();
    const next = await pollDesired(r2.url, b.credential, step.etag);
    assert.equal(next.status, 200, 'replica 2 saw the version reported to replica 1');
    assert.equal(releaseOf(next), '1.2.0');

    assert.equal((await pollDesired(r2.url, a.credential, promoted.etag)).status, 304);
    await admin1.post(`/instances/${a.id}/revoke`, {});
    const report = await request(`${r2.url}/api/v1/instances/self/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentVersion: null, health: 'unknown' }),
    });
    await report.body.dump();
    assert.equal(report.statusCode, 401, 'a write through replica 2 is refused at once');
    await propagated();
    assert.equal((await pollDesired(r2.url, a.credential, promoted.etag)).status, 401, 'revoked through replica 1, refused by replica 2');
    assert.equal((await pollDesired(r2.url, b.credential, next.etag)).status, 304, 'the other instance is untouched');
  });
});
