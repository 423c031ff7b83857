// A customer with a recipient key gets release content only encrypted, on every route that serves it: /v2/ manifests
// and blobs refuse it (403 naming skiff bundle fetch), bundles (full and ?from=) come encrypted, the blob upload API is
// not its; its enrolled instance alike. A customer without a key and vendor users are served as before.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { newIdentity, ENCRYPTED_BLOB_ENTRY_RE } from '../../src/bundle/index.ts';
import type { Digest } from '../../src/oci/index.ts';
import type { StoredRelease } from '../../src/release/index.ts';
import { tarEntries } from '../bundle/fixture.ts';
import { enrollInstance } from '../helpers/checkin.ts';
import { putHubRelease } from '../helpers/hub-release.ts';
import { startHub, type Hub } from './hub-fixture.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';

const PLAIN_BLOB_ENTRY_RE = /^blobs\/sha256\/[a-f0-9]{64}$/;

describe('release content for a customer with a recipient key', () => {
  let hub: Hub;
  let vendor: SyntheticVendor;
  const releases: Record<string, StoredRelease> = {};
  const tokens: Record<string, string> = {};

  before(async () => {
    hub = await startHub();
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    vendor = await makeSyntheticVendor();
    assert.equal((await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: vendor.app, root: vendor.rootJson })).status, 201);
    for (const v of ['1.0.0', '2.0.0']) {
      releases[v] = await vendor.release(v);
      await putHubRelease({ db: hub.db, blobs: hub.app.hub.blobs }, vendor, releases[v]);
      assert.equal((await hub.call('POST', `/api/v1/apps/${vendor.app}/channels/stable/releases`, hub.admin.token, { version: v })).status, 201);
    }
    for (const name of ['sealed', 'plain']) {
      const res = await hub.call('POST', '/api/v1/customers', hub.admin.token, { name, entitlements: [{ app: vendor.app, channel: 'stable' }] });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      tokens[name] = String(res.json.token);
    }
    const { recipient } = await newIdentity();
    assert.equal((await hub.call('PUT', '/api/v1/customers/sealed/recipient', hub.admin.token, { recipient })).status, 200);
    const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const enrollToken = await hub.call('POST', '/api/v1/customers/sealed/enroll-tokens', hub.admin.token, { app: vendor.app });
    assert.equal(enrollToken.status, 201, JSON.stringify(enrollToken.json));
    tokens['sealed-instance'] = (await enrollInstance(url, String(enrollToken.json.token), 'sealed-gw')).credential;
  });
  after(async () => {
    await hub?.close();
    await vendor?.cleanup();
  });

  const web = (v: string) => {
    const image = releases[v]?.manifest.images.web;
    assert.ok(image);
    return image;
  };
  const send = async (method: 'GET' | 'HEAD', url: string, token: string, basic = false) => {
    const authorization = basic ? `Basic ${Buffer.from(`docker:${token}`).toString('base64')}` : `Bearer ${token}`;
    const res = await hub.app.inject({ method, url, headers: { authorization } });
    return { status: res.statusCode, body: res.rawPayload, text: res.body };
  };
  /** Every /v2/ read of release 2.0.0's web image: the manifest by tag and by digest, its config and a layer. */
  const v2Urls = () => {
    const name = `${vendor.app}/web`;
    return [`/v2/${name}/manifests/2.0.0`, `/v2/${name}/manifests/${web('2.0.0').manifestDigest}`, `/v2/${name}/blobs/${web('2.0.0').configDigest}`];
  };

  for (const who of ['sealed', 'sealed-instance']) {
    it(`/v2/ refuses ${who} every manifest and blob with a 403 naming skiff bundle fetch`, async () => {
      for (const url of v2Urls())
        for (const method of ['GET', 'HEAD'] as const) {
          const res = await send(method, url, tokens[who] ?? '', true);
          assert.equal(res.status, 403, `${method} ${url}: ${res.text}`);
          if (method === 'GET') {
            const err = (JSON.parse(res.text) as { errors: { code: string; message: string }[] }).errors[0];
            assert.equal(err?.code, 'DENIED');
            assert.match(err?.message ?? '', new RegExp(`^customer "sealed" receives ${vendor.app} only encrypted to its recipient key, .*: download the release with skiff bundle fetch ${vendor.app}@<version> \\(a bundle encrypted to your key\\)$`));
          }
        }
    });

    it(`bundles for ${who}, full and ?from=, carry every blob encrypted and no plain one`, async () => {
      for (const q of ['', '?from=1.0.0']) {
        const res = await send('GET', `/api/v1/bundles/${vendor.app}/2.0.0${q}`, tokens[who] ?? '');
        assert.equal(res.status, 200, `${q}: ${res.text.slice(0, 300)}`);
        const names = tarEntries(res.body).map((e) => e.name);
        assert.ok(names.some((n) => ENCRYPTED_BLOB_ENTRY_RE.test(n)), `${q}: encrypted blob entries`);
        assert.deepEqual(names.filter((n) => PLAIN_BLOB_ENTRY_RE.test(n)), [], `${q}: no plain blob entry`);
        const manifest = await readBlob(web('2.0.0').manifestDigest);
        assert.equal(res.body.indexOf(manifest), -1, `${q}: the image manifest's bytes are not in the bundle`);
      }
    });
  }

  it('the blob API serves the sealed customer nothing', async () => {
    for (const method of ['HEAD', 'GET'] as const) {
      const res = await send(method, `/api/v1/blobs/${web('2.0.0').configDigest}`, tokens.sealed ?? '');
      assert.equal(res.status, 404, `${method}: ${res.text}`);
      assert.equal(res.body.indexOf(await readBlob(web('2.0.0').configDigest)), -1);
    }
  });

  it('a customer without a key and a vendor user get plain content as before', async () => {
    for (const token of [tokens.plain ?? '', hub.admin.token])
      for (const url of v2Urls()) assert.equal((await send('GET', url, token, true)).status, 200, url);
    const bundle = await send('GET', `/api/v1/bundles/${vendor.app}/2.0.0?from=1.0.0`, tokens.plain ?? '');
    assert.equal(bundle.status, 200);
    assert.ok(tarEntries(bundle.body).some((e) => PLAIN_BLOB_ENTRY_RE.test(e.name)));
  });

  it('once the key is cleared, /v2/ serves the customer plain images again', async () => {
    assert.equal((await hub.call('DELETE', '/api/v1/customers/sealed/recipient', hub.admin.token)).status, 200);
    for (const url of v2Urls()) assert.equal((await send('GET', url, tokens.sealed ?? '', true)).status, 200, url);
  });

  const readBlob = async (digest: Digest): Promise<Buffer> => buffer(await vendor.store.get(digest));
});
