// Bundles the hub encrypts to a customer's age key, with a real hub process, the real CLI and the real Docker Engine:
// the key is set (checked, audited) by a vendor user; `bundle fetch` and the connected agent get the bundle encrypted to
// it, written once to the hub's cache and served from there (HEAD without building, Range + If-Range resumable);
// `agent install --identity` installs it and nothing installs without the key; another customer gets 404; a new key
// serves a new file and clearing it serves the plain bundle again.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { runConnected } from '../../src/agent/index.ts';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import { loadTrustDir } from '../../src/trust/index.ts';
import { FAST, FAST_FLAGS, cleanupApp, forgetImages, page, removeDir, runCli, tempDir } from '../helpers/agent.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';
import { tarEntries } from '../bundle/fixture.ts';

describe('bundles encrypted at the hub to a customer key', () => {
  let vendor: Vendor;
  let work: string;
  let hub: HubProcess;
  let admin: HubClient;
  let adminToken: string;
  const tokens: Record<string, string> = {};
  const keys: Record<string, { file: string; recipient: string }> = {};
  let acmeId: string;

  const hubArgs = (token: string) => ['--hub', hub.url, '--token', token];
  const bundlePath = (version: string) => `/api/v1/bundles/${vendor.app}/${version}`;
  const get = async (version: string, token: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') => {
    const res = await request(`${hub.url}${bundlePath(version)}`, { method, headers: { authorization: `Bearer ${token}`, ...headers } });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body };
  };
  const cacheFiles = async (): Promise<string[]> => (await readdir(path.join(work, 'hub', 'bundle-cache', acmeId)).catch(() => [] as string[])).sort();
  const ageEntries = (bytes: Buffer) => tarEntries(bytes).filter((e) => e.name.endsWith('.age'));

  async function keygen(name: string): Promise<{ file: string; recipient: string }> {
    const file = path.join(work, name);
    const r = await runCli(['bundle', 'keygen', '-o', file]);
    assert.equal(r.code, 0, r.stderr);
    return { file, recipient: r.stdout.trim() };
  }

  before(async () => {
    vendor = await makeVendor('skef');
    work = await tempDir('skiff-enc-fetch');
    const data = path.join(work, 'hub');
    adminToken = (await hubInit({ data })).token;
    hub = await startHubProcess({ data });
    admin = new HubClient({ hub: hub.url, token: adminToken });
    await admin.post('/apps', { name: vendor.app, root: await readFile(vendor.rootJson, 'utf8') });
    await admin.request('PUT', `/apps/${vendor.app}/keys/timestamp`, { key: await (await loadTrustDir(vendor.trustDir)).timestampKeyPem() });
    const made = [];
    for (const v of ['1.0.0', '2.0.0']) {
      made.push(await vendor.createVersion(v));
      await pushRelease({ conn: { hub: hub.url, token: adminToken }, store: vendor.store, app: vendor.app, version: v });
      await admin.post(`/apps/${vendor.app}/channels/stable/releases`, { version: v });
    }
    await forgetImages(vendor.engine, made.flatMap((r) => Object.values(r.manifest.images).map((i) => i.configDigest)));
    for (const [name, entitled] of [['acme', true], ['globex', true], ['initech', false]] as const) {
      const c = await admin.post<{ token: string; customer: { id: string } }>('/customers', { name, entitlements: entitled ? [{ app: vendor.app, channel: 'stable' }] : [] });
      tokens[name] = c.token;
      if (name === 'acme') acmeId = c.customer.id;
    }
    keys['site'] = await keygen('site.key');
    keys['next'] = await keygen('next.key');
  });
  after(async () => {
    if (vendor) await cleanupApp(vendor.engine, vendor.app);
    await hub?.stop();
    await vendor?.cleanup();
    await removeDir(work);
  });

  it('a vendor user sets the key (audited); a malformed key is a 400 naming it, and a customer cannot set one', async () => {
    const bad = await runCli(['customer', 'set-recipient', 'acme', 'age1notakey', ...hubArgs(adminToken)]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^skiff: .*body\.recipient age1notakey is not an age X25519 recipient \(age1… as skiff bundle keygen or age-keygen prints it\)/);
    const forged = `${keys['site']!.recipient.slice(0, -1)}${keys['site']!.recipient.endsWith('q') ? 'p' : 'q'}`;
    const res = await request(`${hub.url}/api/v1/customers/acme/recipient`, { method: 'PUT', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ recipient: forged }) });
    assert.equal(res.statusCode, 400, 'a bad checksum is input, not a fault');
    assert.match(((await res.body.json()) as { error: { message: string } }).error.message, /is not a valid age recipient/);
    const self = await request(`${hub.url}/api/v1/customers/acme/recipient`, { method: 'PUT', headers: { authorization: `Bearer ${tokens['acme']}`, 'content-type': 'application/json' }, body: JSON.stringify({ recipient: keys['site']!.recipient }) });
    assert.equal(self.statusCode, 404);
    await self.body.dump();
    assert.equal((await admin.get<{ recipient: string | null }>('/customers/acme')).recipient, null, 'nothing changed');

    const ok = await runCli(['customer', 'set-recipient', 'acme', keys['site']!.recipient, ...hubArgs(adminToken)]);
    assert.equal(ok.code, 0, ok.stderr);
    const shown = await runCli(['customer', 'show', 'acme', ...hubArgs(adminToken)]);
    assert.match(shown.stdout, new RegExp(`bundles encrypted to ${keys['site']!.recipient}`));
    const { entries } = await admin.get<{ entries: { action: string; target: string; details: Record<string, unknown> }[] }>('/audit?limit=1000');
    const set = entries.filter((e) => e.action === 'customer.recipient.set');
    assert.equal(set.length, 1);
    assert.deepEqual([set[0]?.target, set[0]?.details['recipient']], ['customer:acme', keys['site']!.recipient]);
  });

  it('HEAD answers the exact size without building; concurrent GETs build the file once and get the same bytes', async () => {
    const head = await get('1.0.0', tokens['acme']!, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.deepEqual(await cacheFiles(), [], 'HEAD built nothing');
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => get('1.0.0', tokens['acme']!)));
    for (const r of [a, b, c]) assert.equal(r?.status, 200);
    assert.ok(a!.body.equals(b!.body) && a!.body.equals(c!.body), 'one file, served three times');
    assert.equal(Number(head.headers['content-length']), a!.body.length, 'HEAD announced the exact length');
    assert.equal(head.headers.etag, a!.headers.etag);
    assert.equal((await cacheFiles()).length, 1, 'built once');
    const blobs = ageEntries(a!.body);
    assert.ok(blobs.length > 0, 'the blobs are age files');
    for (const e of blobs) assert.equal(a!.body.subarray(e.data, e.data + 22).toString('latin1'), 'age-encryption.org/v1\n');
  });

  it('a Range-resumed download equals the whole; a stale If-Range gets the whole file', async () => {
    const whole = await get('1.0.0', tokens['acme']!);
    const cut = Math.floor(whole.body.length / 3);
    const tail = await get('1.0.0', tokens['acme']!, { range: `bytes=${cut}-`, 'if-range': String(whole.headers.etag) });
    assert.equal(tail.status, 206);
    assert.equal(tail.headers['content-range'], `bytes ${cut}-${whole.body.length - 1}/${whole.body.length}`);
    assert.ok(Buffer.concat([whole.body.subarray(0, cut), tail.body]).equals(whole.body));
    const stale = await get('1.0.0', tokens['acme']!, { range: `bytes=${cut}-`, 'if-range': '"0000"' });
    assert.equal(stale.status, 200);
    assert.ok(stale.body.equals(whole.body));
    const outside = await get('1.0.0', tokens['acme']!, { range: `bytes=${whole.body.length + 10}-` });
    assert.equal(outside.status, 416);
  });

  it('another customer gets 404 for what it is not entitled to, and its own entitlement a plain bundle', async () => {
    assert.equal((await get('1.0.0', tokens['initech']!)).status, 404);
    const plain = await get('1.0.0', tokens['globex']!);
    assert.equal(plain.status, 200);
    assert.equal(ageEntries(plain.body).length, 0);
    assert.equal((await cacheFiles()).length, 1);
  });

  it('skiff bundle fetch gets the encrypted bundle: agent install refuses it without the key and installs it with the key', async () => {
    const file = path.join(work, 'acme-1.0.0.skiff');
    const f = await runCli(['bundle', 'fetch', `${vendor.app}@1.0.0`, '-o', file, ...hubArgs(tokens['acme']!)]);
    assert.equal(f.code, 0, f.stderr);
    assert.ok(ageEntries(await readFile(file)).length > 0);
    const stateDir = path.join(work, 'state-airgapped');
    const without = await runCli(['agent', 'install', file, '--state', stateDir, '--trust', vendor.rootJson, ...FAST_FLAGS]);
    assert.equal(without.code, 2, without.stderr);
    assert.match(without.stderr, new RegExp(`^skiff: bundle .* is encrypted to ${keys['site']!.recipient}: pass --identity FILE holding the matching age secret key`));
    const other = await runCli(['agent', 'install', file, '--state', stateDir, '--trust', vendor.rootJson, '--identity', keys['next']!.file, ...FAST_FLAGS]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /encrypted to another key/);
    const r = await runCli(['agent', 'install', file, '--state', stateDir, '--trust', vendor.rootJson, '--identity', keys['site']!.file, ...FAST_FLAGS]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await page(vendor.webPort), 'web 1.0.0');
    await cleanupApp(vendor.engine, vendor.app);
  });

  it('the connected agent decrypts with --identity, and says what is missing without it', async () => {
    const stateDir = path.join(work, 'state-connected');
    const logs: string[] = [];
    const { token } = await admin.post<{ token: string }>('/customers/acme/enroll-tokens', { app: vendor.app, uses: 1 });
    await runConnected({ stateDir, hub: hub.url, enrollToken: token, once: true, log: (l) => logs.push(l), ...FAST });
    assert.match(logs.join('\n'), /is encrypted to age1[0-9a-z]+: pass --identity FILE/);
    await assert.rejects(runConnected({ stateDir, once: true, identityFile: path.join(work, 'missing.key') }), /the identity file .*missing\.key does not exist/);
    await admin.post(`/instances/${(await admin.get<{ instances: { id: string }[] }>('/instances')).instances[0]!.id}/install-now`, {});
    await runConnected({ stateDir, once: true, identityFile: keys['site']!.file, log: (l) => logs.push(l), ...FAST });
    assert.equal(await page(vendor.webPort), 'web 2.0.0', logs.join('\n'));
  });

  it('a new key serves a new file (the old one is dropped); clearing it serves the plain bundle', async () => {
    const before = await get('1.0.0', tokens['acme']!);
    const oldFiles = await cacheFiles();
    assert.equal((await runCli(['customer', 'set-recipient', 'acme', keys['next']!.recipient, ...hubArgs(adminToken)])).code, 0);
    const after = await get('1.0.0', tokens['acme']!);
    assert.notEqual(after.headers.etag, before.headers.etag);
    assert.ok(!after.body.equals(before.body));
    const files = await cacheFiles();
    assert.equal(files.length, 1);
    assert.notDeepEqual(files, oldFiles, 'the file for the former key is gone');
    const file = path.join(work, 'next.skiff');
    assert.equal((await runCli(['bundle', 'fetch', `${vendor.app}@1.0.0`, '-o', file, ...hubArgs(tokens['acme']!)])).code, 0);
    assert.equal((await runCli(['bundle', 'verify', file, '--trust', vendor.rootJson, '--identity', keys['next']!.file])).code, 0);
    assert.equal((await runCli(['bundle', 'verify', file, '--trust', vendor.rootJson, '--identity', keys['site']!.file])).code, 1, 'the former key no longer decrypts');

    const cleared = await runCli(['customer', 'clear-recipient', 'acme', ...hubArgs(adminToken)]);
    assert.equal(cleared.code, 0, cleared.stderr);
    const plain = await get('1.0.0', tokens['acme']!);
    assert.equal(ageEntries(plain.body).length, 0);
    assert.deepEqual(await cacheFiles(), [], 'clearing the key drops its files');
    const { entries } = await admin.get<{ entries: { action: string }[] }>('/audit?limit=1000');
    assert.deepEqual(entries.filter((e) => e.action.startsWith('customer.recipient')).map((e) => e.action), ['customer.recipient.set', 'customer.recipient.set', 'customer.recipient.clear']);
  });
});
