// A release's details and its diff in the console, and the hub routes behind them: the diff is the CLI's library
// answer (`skiff release diff`), a customer sees only what its entitlements allow, and an unknown and a hidden version
// answer the same not found; the release view is keyboard usable and passes axe on a desktop and a phone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { diffReleases, RELEASE_SCHEMA, releaseBlobs, releaseBytes, releaseDigest, type StoredRelease } from '../../src/release/index.ts';
import { makeSyntheticVendor, type SyntheticVendor } from '../hub/release-fixture.ts';
import { DOCUMENTED_RESPONSES } from '../../src/hub/response-schemas.ts';
import { APP, checkPage, openPage, PHONE, signIn, startConsoleWorld, type ConsoleWorld } from './console-fixture.ts';
import { schemaViolations } from './schema-check.ts';

let w: ConsoleWorld;
let vendor: SyntheticVendor;
const stored = new Map<string, StoredRelease>();
let customerToken: string;

async function push(version: string, opts: { webLayerSize?: number; changelog?: string }): Promise<void> {
  const r = await vendor.release(version, opts);
  stored.set(version, r);
  const { blobs } = w.hub.app.hub;
  for (const b of await releaseBlobs(vendor.store, r.manifest)) if (!(await blobs.has(b.digest))) await blobs.put(await vendor.store.get(b.digest), { digest: b.digest, size: b.size });
  const put = await w.api('PUT', `/apps/${vendor.app}/releases/${version}`, { manifest: r.bytes.toString('base64'), signature: r.sig.toString('base64') });
  assert.equal(put.status, 201, JSON.stringify(put.json));
}

before(async () => {
  w = await startConsoleWorld(1);
  vendor = await makeSyntheticVendor();
  const { db } = w.hub.app.hub;
  await db.mutate((tx) => tx.createApp(vendor.app, { version: 1, bytes: Buffer.from(vendor.rootJson) }), { actor: 'test', action: 'test.app', target: vendor.app, address: 'local' });
  await push('1.0.0', { changelog: 'First release.\n' });
  await push('2.0.0', { webLayerSize: 40 * 1024, changelog: 'Faster start-up.\n- web: smaller image\n' });
  await push('3.0.0', { changelog: 'Not promoted yet.\n' });
  for (const version of ['1.0.0', '2.0.0']) assert.equal((await w.api('POST', `/apps/${vendor.app}/channels/stable/releases`, { version, required: false })).status, 201);
  assert.equal((await w.api('POST', '/customers', { name: 'beta', entitlements: [{ app: vendor.app, channel: 'stable' }] })).status, 201);
  customerToken = (await w.api<{ token: string }>('POST', '/customers/beta/tokens', {})).json.token;
});

after(async () => {
  await w?.close();
  await vendor?.cleanup();
});

const asCustomer = <T = Record<string, unknown>>(url: string) => w.api<T>('GET', url, undefined, customerToken);

describe('release details and diff', () => {
  it('the hub diff is the CLI library answer: changed image, new layers, delta bytes, Compose changes', async () => {
    const d = await w.api('GET', `/apps/${vendor.app}/releases/2.0.0/diff?from=1.0.0`);
    assert.equal(d.status, 200, JSON.stringify(d.json));
    const expected = await diffReleases(vendor.store, stored.get('1.0.0') as StoredRelease, stored.get('2.0.0') as StoredRelease);
    assert.deepEqual(d.json, JSON.parse(JSON.stringify(expected)));
    assert.deepEqual(expected.services.changed, ['web']);
    assert.ok(expected.delta.bytes > 40 * 1024, 'the delta carries the new web layer');
    assert.equal((await w.api('GET', `/apps/${vendor.app}/releases/2.0.0/diff`)).status, 400, 'from is required');
    const details = await w.api<{ changelog: string; images: { service: string; compressedBytes: number }[]; totalCompressedBytes: number; signature: { keyIds: string[] }; channels: string[] }>('GET', `/apps/${vendor.app}/releases/2.0.0/details`);
    assert.equal(details.status, 200);
    assert.equal(details.json.changelog, 'Faster start-up.\n- web: smaller image\n');
    assert.deepEqual(details.json.images.map((i) => i.service), ['web', 'worker']);
    assert.equal(details.json.totalCompressedBytes, details.json.images.reduce((n, i) => n + i.compressedBytes, 0));
    assert.equal(details.json.signature.keyIds.length, 1);
    assert.deepEqual(details.json.channels, ['stable']);
  });

  it('a customer token sees only its entitled releases; an unknown and a hidden version answer the same not found', async () => {
    assert.equal((await asCustomer(`/apps/${vendor.app}/releases/2.0.0/diff?from=1.0.0`)).status, 200);
    const details = await asCustomer<{ channels: string[] }>(`/apps/${vendor.app}/releases/2.0.0/details`);
    assert.equal(details.status, 200);
    assert.deepEqual(details.json.channels, [], 'a customer is not told the vendor channels');
    const same = (a: { status: number; json: unknown }, b: { status: number; json: unknown }, hidden: string) => {
      assert.equal(a.status, 404);
      assert.equal(b.status, 404);
      assert.equal(JSON.stringify(a.json).replaceAll(hidden, 'V'), JSON.stringify(b.json).replaceAll('9.9.9', 'V'));
    };
    same(await asCustomer(`/apps/${vendor.app}/releases/3.0.0/diff?from=1.0.0`), await asCustomer(`/apps/${vendor.app}/releases/9.9.9/diff?from=1.0.0`), '3.0.0');
    same(await asCustomer(`/apps/${vendor.app}/releases/2.0.0/diff?from=3.0.0`), await asCustomer(`/apps/${vendor.app}/releases/2.0.0/diff?from=9.9.9`), '3.0.0');
    same(await asCustomer(`/apps/${vendor.app}/releases/3.0.0/details`), await asCustomer(`/apps/${vendor.app}/releases/9.9.9/details`), '3.0.0');
    assert.equal((await w.api('GET', `/apps/${vendor.app}/releases/3.0.0/diff?from=2.0.0`)).status, 200, 'the vendor sees the unpromoted release');
  });

  for (const viewport of [undefined, PHONE]) {
    it(`opens a release from the releases table by keyboard: changelog, images, signature, diff against the previous one${viewport ? ' (phone)' : ''}`, async () => {
      const { page: p, problems } = await openPage(w, viewport);
      await signIn(w, p);
      if (viewport) await p.getByRole('button', { name: 'Menu' }).click();
      await p.getByRole('link', { name: 'Apps' }).click();
      const open = p.getByRole('region', { name: `Releases of ${vendor.app}` }).getByRole('button', { name: '2.0.0' });
      await open.focus();
      await p.keyboard.press('Enter');
      const view = p.getByRole('region', { name: `Release ${vendor.app} 2.0.0` });
      await view.getByText('Faster start-up.').waitFor();
      assert.equal(await open.getAttribute('aria-expanded'), 'true');
      await view.getByRole('region', { name: `Images of ${vendor.app} 2.0.0` }).getByRole('cell', { name: 'example/web:2.0.0' }).waitFor();
      await view.getByText(/Signed by/).waitFor();
      await view.getByText(/channels: stable/).waitFor();
      assert.equal(await view.getByLabel('Changes since').inputValue(), '1.0.0', 'the previous release is compared by default');
      await view.getByText(/From 1\.0\.0 to 2\.0\.0: a delta bundle carries \d+ blobs/).waitFor();
      await view.getByText('services.web.image').waitFor();
      await checkPage(p, 'release-details');
      await view.getByLabel('Changes since').selectOption('3.0.0');
      await view.getByText(/From 3\.0\.0 to 2\.0\.0/).waitFor();
      assert.deepEqual(problems, []);
      await p.context().close();
    });
  }

  it('the customers page: instances paged per customer from the hub, tokens listed, issued once and revoked, confirmed', async () => {
    const { page: p, problems } = await openPage(w);
    const fleetReads: string[] = [];
    p.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/v1/instances') fleetReads.push(u.search);
    });
    p.on('dialog', (d) => void d.accept());
    await signIn(w, p);
    await p.getByRole('link', { name: 'Customers' }).click();
    const beta = p.getByRole('article').filter({ has: p.getByRole('heading', { name: /^beta/ }) });
    const acme = p.getByRole('article').filter({ has: p.getByRole('heading', { name: /^acme/ }) });
    await acme.getByRole('cell', { name: w.sim.agents[0]!.name }).waitFor();
    await beta.getByRole('region', { name: 'Tokens of beta' }).getByRole('cell', { name: 'customer beta' }).first().waitFor();
    const rows = () => p.evaluate(() => document.querySelectorAll('[aria-label="Tokens of beta"] tbody tr').length);
    assert.equal(await rows(), 2, 'the token made with the customer and the one the test issued');
    assert.ok(['acme', 'beta'].every((c) => fleetReads.some((q) => q.includes(`customer=${c}&limit=`))) && fleetReads.every((q) => /limit=\d+/.test(q)), `instances are read per customer, paged, never the whole fleet: ${fleetReads.join(' ')}`);
    await beta.getByRole('button', { name: 'New customer token' }).click();
    const shown = (await beta.locator('output.token').textContent()) ?? '';
    assert.match(shown, /^skc_/);
    assert.equal((await w.api('GET', '/session', undefined, shown)).status, 200, 'the token shown works');
    await p.waitForFunction(() => document.querySelectorAll('[aria-label="Tokens of beta"] tbody tr').length === 3);
    await checkPage(p, 'customer-tokens');
    await p.setViewportSize(PHONE);
    await checkPage(p, 'customer-tokens');
    await beta.getByRole('button', { name: /^Revoke/ }).last().click();
    await beta.getByText('Token revoked').waitFor();
    await p.waitForFunction(() => document.querySelectorAll('[aria-label="Tokens of beta"] tbody tr').length === 2);
    assert.equal((await w.api('GET', '/session', undefined, shown)).status, 401, 'the revoked token no longer works');
    assert.equal((await w.api('GET', '/session', undefined, customerToken)).status, 200, 'the other token still works');
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('configuration values: a secret is write-only (set or not set, replaced), others shown and edited, confirmed', async () => {
    // A release of the gateway app declaring a plain setting and a secret one, on the channel acme follows.
    const manifest = releaseBytes({
      schema: RELEASE_SCHEMA, app: APP, version: '1.1.0', createdAt: '2026-01-01T00:00:00.000Z', channelHints: [], images: {}, compose: {},
      configSchema: [{ name: 'LOG_LEVEL', type: 'string', required: false, secret: false }, { name: 'DB_PASSWORD', type: 'string', required: true, secret: true }],
      hooks: {}, changelog: '', minAgentVersion: '0.0.0', sbom: [],
    });
    await w.hub.app.hub.db.mutate((tx) => tx.putRelease({ app: APP, version: '1.1.0', digest: releaseDigest(manifest), manifest, signature: Buffer.from('{}'), visible: true }), { actor: 'test', action: 'test.release', target: '1.1.0', address: 'local' });
    assert.equal((await w.api('POST', `/apps/${APP}/channels/stable/releases`, { version: '1.1.0', required: false })).status, 201);
    const values = `/customers/acme/apps/${APP}/values`;
    for (const body of [{ set: { LOG_LEVEL: 'info' } }, { set: { DB_PASSWORD: 'hunter2-secret' }, secret: true }]) {
      const r = await w.api('PATCH', values, body);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.deepEqual(schemaViolations(DOCUMENTED_RESPONSES['PATCH /customers/:customer/apps/:app/values']![200]!, r.json), [], 'the change answers as documented');
    }
    const { page: p, problems } = await openPage(w);
    p.on('dialog', (d) => void d.accept());
    await signIn(w, p);
    await p.getByRole('link', { name: 'Customers' }).click();
    const table = p.getByRole('region', { name: `Configuration of ${APP} for acme` });
    await table.getByRole('cell', { name: 'secret, set' }).waitFor();
    await table.getByRole('cell', { name: 'info', exact: true }).waitFor();
    assert.equal(await table.getByLabel('New value of DB_PASSWORD').inputValue(), '');
    assert.ok(!(await p.content()).includes('hunter2'), 'a secret never reaches the page');
    await table.getByLabel('New value of DB_PASSWORD').fill('swordfish-secret');
    await table.getByRole('button', { name: 'Replace' }).click();
    await p.getByText('DB_PASSWORD saved').waitFor();
    await table.getByLabel('Value of LOG_LEVEL').fill('debug');
    await table.getByRole('button', { name: 'Save' }).click();
    await table.getByRole('cell', { name: 'debug', exact: true }).waitFor();
    assert.ok(!(await p.content()).includes('swordfish'), 'the replaced secret is not shown either');
    const listed = await w.api<{ values: { name: string; set: boolean; value?: string }[] }>('GET', values);
    assert.deepEqual(listed.json.values.map((v) => [v.name, v.set, v.value]), [['LOG_LEVEL', true, 'debug'], ['DB_PASSWORD', true, undefined]]);
    await checkPage(p, 'customer-values');
    await p.setViewportSize(PHONE);
    await checkPage(p, 'customer-values');
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('a viewer sees the tokens and values but is offered no issue, revoke, save or replace', async () => {
    assert.equal((await w.api('POST', '/users', { username: 'vera', password: 'correct horse battery staple', role: 'viewer' })).status, 201);
    const { page: p, problems } = await openPage(w);
    await signIn(w, p, 'vera', 'correct horse battery staple');
    await p.getByRole('link', { name: 'Customers' }).click();
    await p.getByRole('region', { name: 'Tokens of beta' }).getByRole('cell', { name: 'customer beta' }).first().waitFor();
    await p.getByRole('region', { name: `Configuration of ${APP} for acme` }).getByRole('cell', { name: 'secret, set' }).waitFor();
    for (const name of [/New customer token/, /^Revoke/, /^Save/, /^Replace/, /New enrollment token/]) assert.equal(await p.getByRole('button', { name }).count(), 0, `no ${String(name)} button for a viewer`);
    assert.deepEqual(problems, []);
    await p.context().close();
  });
});
