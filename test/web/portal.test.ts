// The customer portal in a real Chromium (Debian's, driven by playwright-core) against a real hub serving the app Vite
// builds, with real signed releases (Docker-built images) and fleet-simulator instances: a customer-admin signs in,
// sees its instances and the notes between what runs and what is offered, sees a delta bundle's size and downloads a
// valid bundle, uploads an air-gap report and a support bundle, approves an upgrade and sets a window; a viewer is
// offered no change (and the API refuses one); another customer's user sees none of it. Screenshots of each page,
// desktop and phone, go to .tmp/console-screenshots/ (git-ignored), each page checked by axe-core first.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { FleetSim } from '../../bench/lib/fleet-sim.ts';
import { inspectBundle } from '../../src/bundle/index.ts';
import { signReport } from '../../src/fleet/index.ts';
import { startHubServer, type RunningHub } from '../../src/hub/server.ts';
import { hubApi } from '../helpers/hub-api.ts';
import { axeViolations, DESKTOP, openBrowserPage, PHONE, SCREENSHOTS } from './console-fixture.ts';
import { hubInit } from '../helpers/hub-process.ts';
import { putHubRelease } from '../helpers/hub-release.ts';
import { reportVersion } from '../helpers/checkin.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery staple';
let work: string;
let hub: RunningHub;
let browser: Browser;
let vendor: Vendor;
let app: string;
let admin: { token: string; password: string };
let site: { id: string; privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'] };

const api = (method: string, url: string, body?: unknown, token = admin.token) => hubApi(hub.url, token, method, url, body);
const ok = async (r: Promise<{ status: number; json: Record<string, unknown> }>, status = 201) => {
  const done = await r;
  assert.equal(done.status, status, JSON.stringify(done.json));
  return done.json;
};

const open = (viewport = DESKTOP) => openBrowserPage(browser, viewport, { acceptDownloads: true });

/** Keyboard only, on the one login form: the user name has focus, Tab to the password, Enter. */
async function signIn(p: Page, username: string): Promise<void> {
  await p.goto(hub.url);
  await p.getByLabel('User name').waitFor();
  await p.keyboard.type(username);
  await p.keyboard.press('Tab');
  await p.keyboard.type(PASSWORD);
  await p.keyboard.press('Enter');
  await p.getByRole('button', { name: 'Sign out' }).waitFor();
}

const goTo = (p: Page, title: string) => p.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: title }).click();
/** axe-core finds no serious or critical violation on the page as it is; then its screenshot. */
const shot = async (p: Page, name: string): Promise<void> => {
  assert.deepEqual(await axeViolations(p), [], `${name}: axe-core found serious or critical violations`);
  await p.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
};

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'skiff-portal-'));
  await mkdir(SCREENSHOTS, { recursive: true });
  const webDir = path.join(work, 'web');
  await viteBuild({ configFile: path.join(ROOT, 'web/vite.config.ts'), build: { outDir: webDir, emptyOutDir: true }, logLevel: 'error' });
  const data = path.join(work, 'hub');
  admin = await hubInit({ data });
  hub = await startHubServer({ dataDir: data, listen: '127.0.0.1:0', webDir });
  vendor = await makeVendor('skportal');
  app = vendor.app;
  const storage = { db: hub.app.hub.db, blobs: hub.app.hub.blobs };
  for (const [v, notes] of [['1.0.0', 'First release.'], ['1.1.0', 'Faster start-up; fixes the login page.']] as const) {
    await putHubRelease(storage, vendor, await vendor.createVersion(v, { changelog: notes }));
    await ok(api('POST', `/apps/${app}/channels/stable/releases`, { version: v }));
  }
  for (const name of ['acme', 'globex']) await ok(api('POST', '/customers', { name, entitlements: [{ app, channel: 'stable' }] }));
  await ok(api('PUT', `/customers/acme/apps/${app}/approval`, { required: true }), 200);
  await ok(api('POST', '/customers/acme/users', { username: 'alice', password: PASSWORD, role: 'customer-admin' }));
  await ok(api('POST', '/customers/acme/users', { username: 'victor', password: PASSWORD, role: 'customer-viewer' }));
  await ok(api('POST', '/customers/globex/users', { username: 'gail', password: PASSWORD, role: 'customer-admin' }));
  const acmeEnroll = (await ok(api('POST', '/customers/acme/enroll-tokens', { app, uses: 10 }))).token as string;
  const globexEnroll = (await ok(api('POST', '/customers/globex/enroll-tokens', { app, uses: 1 }))).token as string;
  const sim = await FleetSim.enroll({ hub: hub.url, enrollToken: acmeEnroll, count: 2, namePrefix: 'acme-gw' });
  for (const a of sim.agents) await reportVersion(hub.url, a.credential, '1.0.0');
  await sim.close();
  await (await FleetSim.enroll({ hub: hub.url, enrollToken: globexEnroll, count: 1, namePrefix: 'globex-gw' })).close();
  // An air-gapped site of acme: enrolled with a key this test keeps, so it can sign the site's report.
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const enrolled = await fetch(`${hub.url}/api/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: acmeEnroll.split('.')[0], name: 'acme-offline', publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') }),
  });
  assert.equal(enrolled.status, 201, await enrolled.clone().text());
  site = { id: ((await enrolled.json()) as { instance: { id: string } }).instance.id, privateKey };
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await hub?.close();
  await vendor?.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('customer portal', () => {
  it('a customer-admin: instances, notes, a delta bundle’s size and download, uploads, approval and a window', async () => {
    const { page: p, problems } = await open();
    await p.goto(hub.url);
    await p.getByLabel('User name').waitFor();
    await shot(p, 'login-desktop');
    await signIn(p, 'alice');
    await p.getByRole('heading', { name: 'Your instances' }).waitFor();
    await p.getByRole('cell', { name: 'acme-gw-0' }).waitFor();
    await p.getByRole('cell', { name: 'acme-offline' }).waitFor();
    assert.equal(await p.getByRole('cell', { name: /globex/ }).count(), 0, 'another customer’s instance is not shown');
    await shot(p, 'portal-instances-desktop');

    await goTo(p, 'Releases & downloads');
    await p.getByText('Faster start-up; fixes the login page.').waitFor();
    assert.equal(await p.getByText('First release.').count(), 0, 'only the notes above what runs');
    const kind = p.getByLabel('Kind');
    await kind.selectOption('1.0.0');
    const sizeText = await p.getByTestId('bundle-size').textContent();
    const head = await fetch(`${hub.url}/api/v1/bundles/${app}/1.1.0?from=1.0.0`, { method: 'HEAD', headers: { authorization: `Bearer ${admin.token}` } });
    const bytes = Number(head.headers.get('content-length'));
    assert.ok(bytes > 0);
    const full = Number((await fetch(`${hub.url}/api/v1/bundles/${app}/1.1.0`, { method: 'HEAD', headers: { authorization: `Bearer ${admin.token}` } })).headers.get('content-length'));
    assert.ok(bytes < full, `the delta (${bytes} B) is smaller than the full bundle (${full} B)`);
    assert.match(sizeText ?? '', new RegExp(`Size: ${(bytes / 1024).toFixed(1)} KiB|Size: ${(bytes / 1048576).toFixed(1)} MiB`));
    await shot(p, 'portal-releases-desktop');
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('link', { name: `Download ${app}-1.0.0-to-1.1.0.skiff` }).click()]);
    const file = path.join(work, 'delta.skiff');
    await download.saveAs(file);
    const summary = await inspectBundle(file);
    assert.equal(summary.fileSize, bytes, 'the size shown is the size downloaded');
    assert.equal(summary.release.version, '1.1.0');
    assert.equal(summary.disagreement, undefined);
    assert.equal(summary.index.base?.version, '1.0.0', 'a delta from what the instance runs');
    assert.ok(summary.index.blobs.some((b) => !b.included), 'the delta leaves out what 1.0.0 has');

    // One instance may go ahead alone: its own approval, while its sibling still waits.
    const fleet = (await api('GET', `/instances?app=${app}&customer=acme`)).json.instances as { id: string; name: string }[];
    const [gw0, gw1] = ['acme-gw-0', 'acme-gw-1'].map((n) => fleet.find((i) => i.name === n)!.id);
    await p.getByRole('button', { name: 'Approve 1.1.0 for acme-gw-0' }).click();
    await p.getByText('may upgrade to 1.1.0').waitFor();
    const approvedOf = async (id: string | undefined) => ((await api('GET', `/instances/${id}/approvals`)).json.approved as { version: string }[]).map((a) => a.version);
    assert.deepEqual(await approvedOf(gw0), ['1.1.0']);
    assert.deepEqual(await approvedOf(gw1), [], 'the sibling still waits');

    // Keyboard: the approval is a real button, taken with Enter.
    await p.getByRole('button', { name: 'Approve upgrade to 1.1.0' }).focus();
    await p.keyboard.press('Enter');
    await p.getByText('Approved: 1.1.0.').waitFor();
    assert.deepEqual((await api('GET', `/customers/acme/apps/${app}/approval`)).json.approved, ['1.1.0']);

    await goTo(p, 'Maintenance windows');
    const form = p.getByRole('form', { name: `Add a window for ${app}` });
    await form.getByLabel('sat').focus();
    await p.keyboard.press('Space');
    await form.getByLabel('Time zone').fill('UTC');
    await p.keyboard.press('Enter');
    await p.getByText('sat 02:00–04:00 UTC').waitFor();
    assert.deepEqual((await api('GET', `/customers/acme/apps/${app}/policy`)).json.windows, [{ days: ['sat'], start: '02:00', end: '04:00', timeZone: 'UTC' }]);
    await shot(p, 'portal-windows-desktop');

    await goTo(p, 'Upload');
    const now = new Date().toISOString();
    const report = signReport({
      _type: 'report', app, instance: site.id, seq: 1, createdAt: now, since: null,
      status: { currentVersion: '1.0.0', health: 'healthy', phase: 'idle', services: [], diskFreeBytes: null, agentVersion: '0.0.0-test', lastError: null },
      history: [], logs: [],
    }, site.privateKey);
    const reportFile = path.join(work, 'site.skiffr');
    await writeFile(reportFile, JSON.stringify(report));
    await p.getByLabel('Report file').setInputFiles(reportFile);
    await p.getByRole('button', { name: 'Upload report' }).click();
    await p.getByRole('status').getByText(`report 1 of instance ${site.id} imported (1.0.0, healthy)`).waitFor();
    assert.equal((await api('GET', `/instances/${site.id}`)).json.currentVersion, '1.0.0');
    const supportFile = path.join(work, 'support.tar.gz');
    await writeFile(supportFile, gzipSync(Buffer.from('spec.json of a hand-carried support bundle\n')));
    await p.getByLabel('Instance').selectOption({ label: 'acme-offline' });
    await p.getByLabel('Bundle file').setInputFiles(supportFile);
    await p.getByRole('button', { name: 'Upload support bundle' }).click();
    await p.getByRole('status').getByText(/support bundle support\.tar\.gz .* uploaded for acme-offline/).waitFor();
    const bundles = (await api('GET', `/instances/${site.id}/support-bundles`, undefined)).json.bundles as { uploadedBy: string }[];
    assert.deepEqual(bundles.map((b) => b.uploadedBy), ['customer:acme/user:alice']);
    await shot(p, 'portal-uploads-desktop');

    await goTo(p, 'Users');
    await p.getByRole('cell', { name: 'victor', exact: true }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Remove alice' }).count(), 0, 'no one is offered removing themselves');
    assert.equal(await p.getByRole('button', { name: 'Remove victor' }).count(), 1);
    await shot(p, 'portal-users-desktop');
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('fits a phone’s width on every page (screenshots of each)', async () => {
    const { page: p, problems } = await open(PHONE);
    await p.goto(hub.url);
    await p.getByLabel('User name').waitFor();
    await shot(p, 'login-phone');
    await signIn(p, 'alice');
    for (const [title, name, ready] of [
      ['Instances', 'instances', 'acme-gw-0'],
      ['Releases & downloads', 'releases', 'Faster start-up; fixes the login page.'],
      ['Maintenance windows', 'windows', 'sat 02:00–04:00 UTC'],
      ['Upload', 'uploads', 'Air-gap report'],
      ['Users', 'users', 'victor'],
    ] as const) {
      await goTo(p, title);
      await p.getByText(ready).first().waitFor();
      await shot(p, `portal-${name}-phone`);
      assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `the ${name} page fits the phone’s width`);
    }
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('a customer-viewer is offered no approval, window change or upload, and the API refuses them', async () => {
    const { page: p, problems } = await open();
    await signIn(p, 'victor');
    await goTo(p, 'Releases & downloads');
    await p.getByText('Upgrades wait for your approval.', { exact: false }).waitFor();
    assert.equal(await p.getByRole('button', { name: /Approve/ }).count(), 0);
    assert.equal(await p.getByRole('link', { name: 'Upload' }).count(), 0);
    await goTo(p, 'Maintenance windows');
    await p.getByText('sat 02:00–04:00 UTC').waitFor();
    assert.equal(await p.getByRole('button', { name: /Add window|Remove/ }).count(), 0);
    const refused = await p.evaluate(async (a) => {
      const r = await fetch(`/api/v1/apps/${a}/approvals`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-skiff-csrf': '1' }, body: JSON.stringify({ version: '1.1.0' }) });
      return r.status;
    }, app);
    assert.equal(refused, 403);
    assert.deepEqual(problems.filter((m) => !/403/.test(m)), []);
    await p.context().close();
  });

  it('another customer’s user sees none of acme’s instances, approvals or windows', async () => {
    const { page: p, problems } = await open();
    await signIn(p, 'gail');
    await p.getByRole('cell', { name: 'globex-gw-0' }).waitFor();
    assert.equal(await p.getByRole('cell', { name: /acme/ }).count(), 0);
    await goTo(p, 'Maintenance windows');
    await p.getByText('No windows: upgrades may happen at any time.').waitFor();
    const urls = ['/customers/acme/users', `/customers/acme/apps/${app}/policy`, `/customers/acme/apps/${app}/approval`].map((u) => `/api/v1${u}`);
    const statuses = await p.evaluate((list) => Promise.all(list.map((u) => fetch(u).then((r) => r.status))), urls);
    assert.deepEqual(statuses, [404, 404, 404]);
    assert.deepEqual(problems.filter((m) => !/404/.test(m)), []);
    await p.context().close();
  });
});
