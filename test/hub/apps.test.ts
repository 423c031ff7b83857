// Apps and their root chain: create with a self-signed root 1, rotations accepted only along the chain.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rotateTrust, serializeRoot } from '../../src/trust/index.ts';
import { makeRoot, startHub, type Hub } from './hub-fixture.ts';

describe('hub apps and roots', () => {
  let hub: Hub;
  let vendor: { dir: string; root: string };
  let stranger: { dir: string; root: string };
  before(async () => {
    hub = await startHub();
    vendor = await makeRoot();
    stranger = await makeRoot();
  });
  after(async () => {
    await hub.close();
    await rm(vendor.dir, { recursive: true, force: true });
    await rm(stranger.dir, { recursive: true, force: true });
  });

  it('creates an app with root version 1 and refuses a duplicate', async () => {
    const res = await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: 'netmon', root: vendor.root });
    assert.equal(res.status, 201);
    assert.equal((await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: 'netmon', root: vendor.root })).json.error !== undefined, true);
    const roots = await hub.call('GET', '/api/v1/apps/netmon/roots', hub.admin.token);
    assert.deepEqual((roots.json.roots as { root: string }[]).map((r) => r.root), [vendor.root]);
    assert.equal((await hub.call('GET', '/api/v1/apps/netmon', hub.admin.token)).json.rootVersion, 1);
  });

  it('rejects a root.json that is not JSON, is tampered with, or is not version 1', async () => {
    const notJson = await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: 'a1', root: 'not json' });
    assert.equal(notJson.status, 400);
    const tampered = JSON.parse(vendor.root) as { signed: { expires: string } };
    tampered.signed.expires = '2099-01-01T00:00:00.000Z';
    const bad = await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: 'a2', root: JSON.stringify(tampered) });
    assert.equal(bad.status, 400);
    assert.match(String((bad.json.error as { code: string }).code), /TRUST_INVALID|SIGNATURE_INVALID/);
    const v2 = await rotateTrust(join(stranger.dir, 'trust'));
    const later = await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: 'a3', root: serializeRoot(v2.root) });
    assert.equal(later.status, 400);
    assert.equal((await hub.call('GET', '/api/v1/apps/a2', hub.admin.token)).status, 404);
  });

  it('accepts root N+1 signed along the chain, refuses skips, replays and foreign roots', async () => {
    const v2 = await rotateTrust(join(vendor.dir, 'trust'));
    const v3 = await rotateTrust(join(vendor.dir, 'trust'));
    const skip = await hub.call('POST', '/api/v1/apps/netmon/roots', hub.admin.token, { root: serializeRoot(v3.root) });
    assert.equal(skip.status, 400, 'skip');
    const strangerV3 = await rotateTrust(join(stranger.dir, 'trust'));
    const strangerV2 = strangerV3.chain[1];
    assert.ok(strangerV2);
    const notOurs = await hub.call('POST', '/api/v1/apps/netmon/roots', hub.admin.token, { root: serializeRoot(strangerV2) });
    assert.equal(notOurs.status, 400, 'notOurs');
    assert.equal((await hub.call('POST', '/api/v1/apps/netmon/roots', hub.admin.token, { root: serializeRoot(v2.root) })).status, 201);
    const replay = await hub.call('POST', '/api/v1/apps/netmon/roots', hub.admin.token, { root: serializeRoot(v2.root) });
    assert.equal(replay.status, 400, 'replay');
    assert.equal((await hub.call('POST', '/api/v1/apps/netmon/roots', hub.admin.token, { root: serializeRoot(v3.root) })).status, 201);
    const roots = await hub.call('GET', '/api/v1/apps/netmon/roots', hub.admin.token);
    assert.deepEqual((roots.json.roots as { version: number }[]).map((r) => r.version), [1, 2, 3]);
  });

  it('answers 404 for roots of an unknown app', async () => {
    assert.equal((await hub.call('POST', '/api/v1/apps/ghost/roots', hub.admin.token, { root: vendor.root })).status, 404);
    assert.equal((await hub.call('GET', '/api/v1/apps/ghost/roots', hub.admin.token)).status, 404);
  });
});
