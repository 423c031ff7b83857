// Bundle downloads: byte-identical to `writeBundle` from the vendor store (full and delta), exact Content-Length,
// required releases, entitlements and tenants; `skiff bundle fetch` writes the same bytes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { bundleFetchCommand } from '../../src/cli/bundle-fetch.ts';
import { fetchBundle } from '../../src/hub-client/index.ts';
import { pushRelease } from '../../src/hub-client/index.ts';
import { VerifyOnlySink, readBundle, trustVerifier, writeBundle } from '../../src/bundle/index.ts';
import { loadChain, releaseBlobs, type StoredRelease } from '../../src/release/index.ts';
import { parseRoot } from '../../src/trust/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { runCommand as run, startHub, type Hub } from './hub-fixture.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';


describe('bundle downloads', () => {
  let hub: Hub;
  let url: string;
  let vendor: SyntheticVendor;
  const rel: Record<string, StoredRelease> = {};
  let acme: string;
  let globex: string;

  const local = async (release: StoredRelease, base?: StoredRelease, ...moreBases: StoredRelease[]): Promise<Buffer> => {
    const out = new PassThrough();
    const bytes = buffer(out);
    await writeBundle({ blobs: vendor.store, release, chain: await loadChain(vendor.store, vendor.app), ...(base ? { base } : {}), ...(moreBases.length > 0 ? { moreBases } : {}) }, out);
    return bytes;
  };
  const download = (path: string, token: string) => hub.app.inject({ method: 'GET', url: `/api/v1/bundles/${path}`, headers: { authorization: `Bearer ${token}` } });
  const errorOf = (res: { body: string }) => (JSON.parse(res.body) as { error: { code: string; message: string } }).error;

  before(async () => {
    hub = await startHub();
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    vendor = await makeSyntheticVendor({ baseLayerSize: 300 * 1024 });
    assert.equal((await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: vendor.app, root: vendor.rootJson })).status, 201);
    for (const v of ['1.0.0', '1.1.0', '2.0.0', '3.0.0']) {
      rel[v] = await vendor.release(v, { webLayerSize: 200 * 1024 + v.length });
      await pushRelease({ conn: { hub: url, token: hub.admin.token }, store: vendor.store, app: vendor.app, version: v });
    }
    for (const [v, required] of [['1.0.0', false], ['1.1.0', true], ['2.0.0', false]] as const)
      assert.equal((await hub.call('POST', `/api/v1/apps/${vendor.app}/channels/stable/releases`, hub.admin.token, { version: v, required })).status, 201);
    const a = await hub.call('POST', '/api/v1/customers', hub.admin.token, { name: 'acme', entitlements: [{ app: vendor.app, channel: 'stable' }] });
    const g = await hub.call('POST', '/api/v1/customers', hub.admin.token, { name: 'globex', entitlements: [] });
    acme = String(a.json.token);
    globex = String(g.json.token);
  });
  after(async () => {
    await hub.close();
    await vendor.cleanup();
  });

  it('streams a full bundle byte-identical to writeBundle from the vendor store, with its exact Content-Length', async () => {
    const res = await download(`${vendor.app}/2.0.0`, acme);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/vnd.skiff.bundle');
    assert.equal(res.headers['content-disposition'], `attachment; filename="${vendor.app}-2.0.0.skiff"`);
    assert.equal(Number(res.headers['content-length']), res.rawPayload.length);
    assert.ok(res.rawPayload.equals(await local(rel['2.0.0']!)), 'identical bytes');
    const contents = await readBundle(PassThrough.from([res.rawPayload]), { verify: trustVerifier(parseRoot(vendor.rootJson)), sink: new VerifyOnlySink(), allowMissing: false });
    assert.equal(contents.release.version, '2.0.0');
  });

  it('a delta omits the base blobs and is byte-identical to the local delta', async () => {
    const res = await download(`${vendor.app}/2.0.0?from=1.1.0`, acme);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-disposition'], `attachment; filename="${vendor.app}-1.1.0-to-2.0.0.skiff"`);
    assert.equal(Number(res.headers['content-length']), res.rawPayload.length);
    assert.ok(res.rawPayload.equals(await local(rel['2.0.0']!, rel['1.1.0']!)));
    const full = await download(`${vendor.app}/2.0.0`, acme);
    assert.ok(res.rawPayload.length < full.rawPayload.length - 300 * 1024, 'the shared base layer is not sent again');
    const baseBlobs = new Set((await releaseBlobs(vendor.store, rel['1.1.0']!.manifest)).map((b) => b.digest));
    const contents = await readBundle(PassThrough.from([res.rawPayload]), { verify: trustVerifier(parseRoot(vendor.rootJson)), sink: new VerifyOnlySink(), allowMissing: true });
    assert.ok(contents.received.length > 0);
    for (const d of contents.received) assert.ok(!baseBlobs.has(d), `${d} is in the base`);
  });

  it('several bases (from repeated): the local multi-base delta whatever their order, cached alike, each base checked', async () => {
    const admin = hub.admin.token;
    const res = await download(`${vendor.app}/2.0.0?from=1.1.0&from=1.0.0`, admin);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-disposition'], `attachment; filename="${vendor.app}-1.0.0+1.1.0-to-2.0.0.skiff"`);
    assert.equal(Number(res.headers['content-length']), res.rawPayload.length);
    assert.ok(res.rawPayload.equals(await local(rel['2.0.0']!, rel['1.0.0']!, rel['1.1.0']!)), 'identical to bundle create --from 1.0.0 --from 1.1.0');
    const again = await download(`${vendor.app}/2.0.0?from=1.0.0&from=1.1.0`, admin);
    assert.ok(again.rawPayload.equals(res.rawPayload));
    assert.equal(again.headers.etag, res.headers.etag, 'one set of bases, one ETag');
    assert.notEqual((await download(`${vendor.app}/2.0.0?from=1.1.0`, admin)).headers.etag, res.headers.etag, 'another set, another ETag');
    const required = await download(`${vendor.app}/2.0.0?from=1.1.0&from=1.0.0`, acme);
    assert.equal(required.statusCode, 409, 'a site on either base may not skip a required release');
    assert.equal(errorOf(required).code, 'REQUIRED_RELEASE');
    const unknown = await download(`${vendor.app}/2.0.0?from=1.1.0&from=0.9.0`, acme);
    assert.equal(unknown.statusCode, 404);
    assert.match(errorOf(unknown).message, /@0\.9\.0/);
    assert.equal((await download(`${vendor.app}/2.0.0?from=1.1.0&from=1.0.0`, globex)).statusCode, 404, 'another customer');
    const twice = await download(`${vendor.app}/2.0.0?from=1.1.0&from=1.1.0`, admin);
    assert.equal(twice.statusCode, 400);
    assert.match(errorOf(twice).message, /^from=1\.1\.0 is given twice/);
    const many = Array.from({ length: 9 }, (_, i) => `from=0.0.${i}`).join('&');
    assert.equal((await download(`${vendor.app}/2.0.0?${many}`, admin)).statusCode, 400);
    assert.equal((await download(`${vendor.app}/2.0.0?from=1.1.0&from=latest`, admin)).statusCode, 400);
  });

  it('refuses to skip a required release (409 REQUIRED_RELEASE naming it)', async () => {
    const res = await download(`${vendor.app}/2.0.0?from=1.0.0`, acme);
    assert.equal(res.statusCode, 409);
    assert.equal(errorOf(res).code, 'REQUIRED_RELEASE');
    assert.match(errorOf(res).message, new RegExp(`^install ${vendor.app}@1\\.1\\.0 first: it is required`));
    assert.equal((await download(`${vendor.app}/1.1.0?from=1.0.0`, acme)).statusCode, 200);
  });

  it('entitlements and tenants: 404 for what a customer may not see, 404 naming an unknown from', async () => {
    assert.equal((await download(`${vendor.app}/3.0.0`, acme)).statusCode, 404, 'pushed but not in the channel');
    assert.equal((await download(`${vendor.app}/2.0.0`, globex)).statusCode, 404, 'another customer');
    assert.equal((await download(`${vendor.app}/1.0.0`, globex)).statusCode, 404);
    assert.equal((await download(`ghost/1.0.0`, acme)).statusCode, 404);
    const unknownFrom = await download(`${vendor.app}/2.0.0?from=0.9.0`, acme);
    assert.equal(unknownFrom.statusCode, 404);
    assert.match(errorOf(unknownFrom).message, /@0\.9\.0/);
    assert.equal((await download(`${vendor.app}/1.0.0?from=2.0.0`, acme)).statusCode, 400);
    assert.equal((await download(`${vendor.app}/2.0.0?from=latest`, acme)).statusCode, 400);
    assert.equal((await download(`${vendor.app}/2.0.0`, 'skc_nope')).statusCode, 401);
    assert.equal((await download(`${vendor.app}/3.0.0`, hub.admin.token)).statusCode, 200, 'vendor users fetch any release');
  });

  it('skiff bundle fetch writes the same bytes, prints size and sha256, and leaves no temp file on failure', async () => {
    const out = join(vendor.dir, 'fetched.skiff');
    const r = await run(bundleFetchCommand, [`${vendor.app}@2.0.0`, '--from', '1.1.0', '-o', out, '--hub', url, '--token', acme]);
    assert.equal(r.code, 0);
    const bytes = await readFile(out);
    assert.ok(bytes.equals(await local(rel['2.0.0']!, rel['1.1.0']!)));
    const sha = createHash('sha256').update(bytes).digest('hex');
    assert.match(r.out, new RegExp(`\\(delta from 1\\.1\\.0\\)\\nsize: .+ \\(${bytes.length} bytes\\)\\nsha256: ${sha}\\n$`));

    const refused = join(vendor.dir, 'refused.skiff');
    await assert.rejects(
      fetchBundle({ conn: { hub: url, token: acme }, app: vendor.app, version: '2.0.0', from: '1.0.0', output: refused }),
      (e) => isSkiffError(e, 'REQUIRED_RELEASE') && /^hub: install .*@1\.1\.0 first/.test(e.message),
    );
    assert.deepEqual((await readdir(vendor.dir)).filter((n) => n.includes('refused')), []);
  });
});
