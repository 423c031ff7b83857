// Release push: only missing blobs are uploaded (counted on the hub), refusals (unsigned, wrong key, tampered, other app,
// same version with other content, missing blobs, bad digests), scopes, and who may list releases.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { releasePushCommand } from '../../src/cli/release-push.ts';
import { pushRelease } from '../../src/hub-client/index.ts';
import type { HubConnection } from '../../src/hub-client/index.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { releaseBlobs } from '../../src/release/index.ts';
import { initTrust, loadTrustDir } from '../../src/trust/index.ts';
import { runCommand as run, startHub, userToken, type Hub } from './hub-fixture.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';


describe('release push', () => {
  let hub: Hub;
  let vendor: SyntheticVendor;
  let conn: HubConnection;
  let pusher: string;
  const b64 = (b: Buffer) => b.toString('base64');
  const uploads = async () => (await hub.db.listAudit({ limit: 10_000 })).filter((e) => e.action === 'blob.upload').length;

  before(async () => {
    hub = await startHub();
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    vendor = await makeSyntheticVendor({ baseLayerSize: 512 * 1024 });
    const made = await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: vendor.app, root: vendor.rootJson });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    pusher = await userToken(hub, 'ci-pusher', 'release-manager');
    conn = { hub: `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`, token: pusher };
  });
  after(async () => {
    await hub.close();
    await vendor.cleanup();
  });

  it('uploads every blob first, then only the blobs the hub lacks', async () => {
    const v1 = await vendor.release('1.0.0');
    const all1 = await releaseBlobs(vendor.store, v1.manifest);
    const before1 = await uploads();
    const r1 = await pushRelease({ conn, store: vendor.store, app: vendor.app, version: '1.0.0' });
    assert.equal(r1.created, true);
    assert.equal(r1.digest, v1.digest);
    assert.equal(r1.sent.length, all1.length);
    assert.equal((await uploads()) - before1, all1.length, 'PUTs counted by the hub');

    const v2 = await vendor.release('2.0.0');
    const all2 = await releaseBlobs(vendor.store, v2.manifest);
    const had = new Set(all1.map((b) => b.digest));
    const fresh = all2.filter((b) => !had.has(b.digest)).map((b) => b.digest);
    assert.equal(fresh.length, 3, 'web manifest, config and layer are new');
    const before2 = await uploads();
    const r2 = await pushRelease({ conn, store: vendor.store, app: vendor.app, version: '2.0.0' });
    assert.deepEqual(new Set(r2.sent), new Set(fresh));
    assert.equal(r2.skipped.length, all2.length - fresh.length);
    assert.equal((await uploads()) - before2, fresh.length);

    const again = await pushRelease({ conn, store: vendor.store, app: vendor.app, version: '2.0.0' });
    assert.deepEqual([again.sent.length, again.created], [0, false]);
    const listed = await hub.call('GET', `/api/v1/apps/${vendor.app}/releases`, hub.admin.token);
    assert.deepEqual((listed.json.releases as { version: string }[]).map((r) => r.version), ['1.0.0', '2.0.0']);
    const one = await hub.call('GET', `/api/v1/apps/${vendor.app}/releases/2.0.0`, hub.admin.token);
    assert.equal(one.json.digest, v2.digest);
    assert.equal(Buffer.from(String(one.json.manifest), 'base64').equals(v2.bytes), true);
  });

  it('skiff release push prints what it sent', async () => {
    await vendor.release('2.1.0');
    const r = await run(releasePushCommand, [`${vendor.app}@2.1.0`, '--store', vendor.store.paths.root, '--hub', conn.hub, '--token', pusher]);
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`^pushed ${vendor.app}@2\\.1\\.0\\nblobs: 3 sent \\(.+\\), 4 already on the hub\\nrelease digest: sha256:[a-f0-9]{64}\\n$`));
    const missing = await run(releasePushCommand, [`${vendor.app}@9.9.9`, '--store', vendor.store.paths.root, '--hub', conn.hub, '--token', pusher]);
    assert.equal(missing.code, 1);
  });

  const putRelease = (version: string, body: { manifest: Buffer; signature: Buffer }, app = vendor.app, token = pusher) =>
    hub.call('PUT', `/api/v1/apps/${app}/releases/${version}`, token, { manifest: b64(body.manifest), signature: b64(body.signature) });

  it('refuses unsigned, wrong-key and tampered releases', async () => {
    const v = await vendor.release('3.0.0');
    const unsigned = await putRelease('3.0.0', { manifest: v.bytes, signature: Buffer.from('{"signatures":[]}') });
    assert.equal(unsigned.status, 400);
    assert.equal((unsigned.json.error as { code: string }).code, 'SIGNATURE_INVALID');

    const other = await loadTrustDir((await initTrust(`${vendor.dir}/other-trust`)).dir);
    const wrongKey = await putRelease('3.0.0', vendor.signed(v.manifest, other));
    assert.equal(wrongKey.status, 400);
    assert.match((wrongKey.json.error as { message: string }).message, /does not know.*push the new root\.json with skiff app roots/);

    const tampered = { ...v.manifest, changelog: 'edited after signing' };
    const resigned = vendor.signed(v.manifest);
    const mismatch = await putRelease('3.0.0', { manifest: vendor.signed(tampered).manifest, signature: resigned.signature });
    assert.equal(mismatch.status, 400);
    assert.equal((mismatch.json.error as { code: string }).code, 'SIGNATURE_INVALID');

    const listed = await hub.call('GET', `/api/v1/apps/${vendor.app}/releases`, hub.admin.token);
    assert.ok(!(listed.json.releases as { version: string }[]).some((r) => r.version === '3.0.0'));
  });

  it('refuses another app, another version, the same version with other content, and missing blobs', async () => {
    const otherApp = await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: `${vendor.app}-b`, root: vendor.rootJson });
    assert.equal(otherApp.status, 201);
    const v1 = vendor.signed((await vendor.release('1.0.0')).manifest);
    const wrongApp = await putRelease('1.0.0', v1, `${vendor.app}-b`);
    assert.deepEqual([wrongApp.status, (wrongApp.json.error as { code: string }).code], [400, 'WRONG_APP']);
    const wrongVersion = await putRelease('1.0.1', v1);
    assert.deepEqual([wrongVersion.status, (wrongVersion.json.error as { code: string }).code], [400, 'RELEASE_INVALID']);

    const current = await hub.call('GET', `/api/v1/apps/${vendor.app}/releases/1.0.0`, hub.admin.token);
    const m = JSON.parse(Buffer.from(String(current.json.manifest), 'base64').toString()) as Parameters<SyntheticVendor['signed']>[0];
    const conflict = await putRelease('1.0.0', vendor.signed({ ...m, changelog: 'different content' }));
    assert.deepEqual([conflict.status, (conflict.json.error as { code: string }).code], [409, 'RELEASE_EXISTS']);

    const other = await makeSyntheticVendor();
    try {
      const lone = await other.release('4.0.0');
      const foreign = vendor.signed({ ...lone.manifest, app: vendor.app });
      const missing = await putRelease('4.0.0', foreign);
      assert.equal(missing.status, 400);
      const web = lone.manifest.images.web?.manifestDigest ?? '';
      assert.match((missing.json.error as { message: string }).message, new RegExp(`image manifest of service web ${web}.*does not have`));
    } finally {
      await other.cleanup();
    }
  });

  it('blob uploads: digest mismatch stores nothing, bad digests are 400, scopes are enforced', async () => {
    const body = Buffer.from('hello blob');
    const claimed = sha256('something else');
    const put = (digest: string, token: string, payload: Buffer = body) =>
      hub.app.inject({ method: 'PUT', url: `/api/v1/blobs/${digest}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, payload });
    const bad = await put(claimed, pusher);
    assert.equal(bad.statusCode, 400);
    assert.equal((JSON.parse(bad.body) as { error: { code: string } }).error.code, 'DIGEST_MISMATCH');
    assert.equal((await hub.app.inject({ method: 'HEAD', url: `/api/v1/blobs/${claimed}`, headers: { authorization: `Bearer ${pusher}` } })).statusCode, 404);

    const good = await put(sha256(body), pusher);
    assert.equal(good.statusCode, 201);
    const head = await hub.app.inject({ method: 'HEAD', url: `/api/v1/blobs/${sha256(body)}`, headers: { authorization: `Bearer ${pusher}` } });
    assert.deepEqual([head.statusCode, head.headers['content-length']], [200, String(body.length)]);

    for (const digest of ['sha256:XYZ', 'md5:abc', `sha256:${'A'.repeat(64)}`]) assert.equal((await put(encodeURIComponent(digest), pusher)).statusCode, 400, digest);
    const viewer = await userToken(hub, 'viewer-1', 'viewer');
    assert.equal((await put(sha256(body), viewer)).statusCode, 403);
    const json = await hub.app.inject({ method: 'PUT', url: `/api/v1/blobs/${sha256(body)}`, headers: { authorization: `Bearer ${pusher}`, 'content-type': 'application/json' }, payload: '{}' });
    assert.equal(json.statusCode, 415);
    const chunked = await hub.app.inject({
      method: 'PUT',
      url: `/api/v1/blobs/${sha256(body)}`,
      headers: { authorization: `Bearer ${pusher}`, 'content-type': 'application/octet-stream' },
      payload: Readable.from([body]),
    });
    assert.equal(chunked.statusCode, 400);
  });

  it('customers see only the releases of their channel; other customers see nothing', async () => {
    await hub.call('POST', `/api/v1/apps/${vendor.app}/channels/stable/releases`, hub.admin.token, { version: '1.0.0' });
    const acme = await hub.call('POST', '/api/v1/customers', hub.admin.token, { name: `acme-${vendor.app}`, entitlements: [{ app: vendor.app, channel: 'stable' }] });
    const globex = await hub.call('POST', '/api/v1/customers', hub.admin.token, { name: `globex-${vendor.app}`, entitlements: [] });
    const acmeToken = String(acme.json.token);
    const globexToken = String(globex.json.token);
    const seen = await hub.call('GET', `/api/v1/apps/${vendor.app}/releases`, acmeToken);
    assert.deepEqual((seen.json.releases as { version: string }[]).map((r) => r.version), ['1.0.0']);
    assert.equal((await hub.call('GET', `/api/v1/apps/${vendor.app}/releases/1.0.0`, acmeToken)).status, 200);
    assert.equal((await hub.call('GET', `/api/v1/apps/${vendor.app}/releases/2.0.0`, acmeToken)).status, 404);
    assert.equal((await hub.call('GET', `/api/v1/apps/${vendor.app}/releases`, globexToken)).status, 404);
    assert.equal((await hub.call('GET', `/api/v1/apps/${vendor.app}/releases/1.0.0`, globexToken)).status, 404);
    const v = await hub.call('GET', `/api/v1/apps/${vendor.app}/releases/1.0.0`, acmeToken);
    const m = Buffer.from(String(v.json.manifest), 'base64');
    const push = await hub.call('PUT', `/api/v1/apps/${vendor.app}/releases/1.0.0`, acmeToken, { manifest: b64(m), signature: String(v.json.signature) });
    assert.equal(push.status, 404);
    const audited = (await hub.db.listAudit({ limit: 10_000 })).filter((e) => e.action === 'release.push').map((e) => e.target);
    assert.ok(audited.includes(`app:${vendor.app}/release:1.0.0`));
  });
});
