// The web console and customer portal in a real Chromium (Debian's, driven by playwright-core) against a real hub
// serving the console built from web/ by Vite: sign-in by keyboard, the pages a role may see, live updates, a phone's
// width, the session cookie (HttpOnly, SameSite, out of scripts' reach), CSRF refusal and the Content-Security-Policy.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { FleetSim } from '../../bench/lib/fleet-sim.ts';
import { startHubServer, type RunningHub } from '../../src/hub/server.ts';
import { makeRoot } from '../hub/hub-fixture.ts';
import { hubApi } from '../helpers/hub-api.ts';
import { hubInit } from '../helpers/hub-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let work: string;
let hub: RunningHub;
let browser: Browser;
let admin: { token: string; password: string };
let customerToken: string;
let enrollToken: string;
let globexSim: FleetSim;

const api = (method: string, url: string, body?: unknown, token = admin.token) => hubApi(hub.url, token, method, url, body);

async function page(viewport = { width: 1280, height: 800 }): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport });
  const p = await context.newPage();
  const problems: string[] = [];
  p.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  p.on('pageerror', (e) => problems.push(e.message));
  return { page: p, problems };
}

async function signInAsVendor(p: Page, username: string, password: string): Promise<void> {
  await p.goto(hub.url);
  // Keyboard only: the user name field has focus, Tab moves to the password, Enter submits.
  await p.getByLabel('User name').waitFor();
  await p.keyboard.type(username);
  await p.keyboard.press('Tab');
  await p.keyboard.type(password);
  await p.keyboard.press('Enter');
  await p.getByRole('button', { name: 'Sign out' }).waitFor();
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'skiff-web-'));
  const webDir = path.join(work, 'web');
  await viteBuild({ configFile: path.join(ROOT, 'web/vite.config.ts'), build: { outDir: webDir, emptyOutDir: true }, logLevel: 'error' });
  const data = path.join(work, 'hub');
  admin = await hubInit({ data });
  hub = await startHubServer({ dataDir: data, listen: '127.0.0.1:0', webDir });
  const { root } = await makeRoot();
  assert.equal((await api('POST', '/apps', { name: 'gateway', root })).status, 201);
  const made = await api('POST', '/customers', { name: 'acme', entitlements: [{ app: 'gateway', channel: 'stable' }] });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  customerToken = made.json.token as string;
  assert.equal((await api('POST', '/customers', { name: 'globex', entitlements: [{ app: 'gateway', channel: 'stable' }] })).status, 201);
  const tokens = await api('POST', '/customers/acme/enroll-tokens', { app: 'gateway', uses: 10 });
  enrollToken = tokens.json.token as string;
  const globexToken = (await api('POST', '/customers/globex/enroll-tokens', { app: 'gateway', uses: 1 })).json.token as string;
  await FleetSim.enroll({ hub: hub.url, enrollToken, count: 3, namePrefix: 'acme-gw' });
  globexSim = await FleetSim.enroll({ hub: hub.url, enrollToken: globexToken, count: 1, namePrefix: 'globex-gw' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await globexSim?.close();
  await hub?.close();
  await rm(work, { recursive: true, force: true });
});

describe('web console', () => {
  it('serves the page under a strict Content-Security-Policy with no inline script', async () => {
    const res = await fetch(hub.url);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is a file');
    assert.equal((await fetch(`${hub.url}/no-such-page`)).status, 404);
  });

  it('a vendor admin signs in by keyboard and sees the fleet, apps, customers and audit log, with no console error', async () => {
    const { page: p, problems } = await page();
    await signInAsVendor(p, 'admin', admin.password);
    await p.getByRole('heading', { name: 'Fleet' }).waitFor();
    await p.getByText('4 instances, 0 unhealthy').waitFor();
    assert.equal(await p.getByRole('img', { name: /none: 4/ }).count(), 1, 'the version chart counts the instances');
    await p.getByLabel('Search the fleet').fill('globex');
    await p.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    await p.getByRole('link', { name: 'Apps & releases' }).click();
    await p.getByRole('heading', { name: 'gateway' }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Promote' }).count(), 1, 'an admin may promote');
    await p.getByRole('link', { name: 'Customers' }).click();
    await p.getByRole('heading', { name: /acme/ }).waitFor();
    await p.getByRole('link', { name: 'Audit log' }).click();
    await p.getByRole('cell', { name: 'customer.create' }).first().waitFor();
    assert.equal(await p.evaluate(() => document.cookie), '', 'the session cookie is out of scripts’ reach');
    const cookie = (await p.context().cookies(hub.url + '/api/v1/whoami')).find((c) => c.name === 'skiff_session');
    assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/api/', JSON.stringify(cookie));
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('shows a new instance without a reload', async () => {
    const { page: p } = await page();
    await signInAsVendor(p, 'admin', admin.password);
    await p.getByText('4 instances, 0 unhealthy').waitFor();
    await FleetSim.enroll({ hub: hub.url, enrollToken, count: 1, namePrefix: 'late' });
    await p.getByText('5 instances, 0 unhealthy').waitFor({ timeout: 15_000 });
    await p.context().close();
  });

  it('offers a viewer no action its role cannot take, and no audit page', async () => {
    const made = await api('POST', '/users', { username: 'vera', password: 'correct horse battery staple', role: 'viewer' });
    assert.equal(made.status, 201);
    const { page: p, problems } = await page();
    await signInAsVendor(p, 'vera', 'correct horse battery staple');
    await p.getByRole('link', { name: 'Apps & releases' }).click();
    await p.getByRole('heading', { name: 'gateway' }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Promote' }).count(), 0);
    assert.equal(await p.getByRole('link', { name: 'Audit log' }).count(), 0);
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('searches the whole fleet at the hub, not the page shown', async () => {
    // 120 more: the fleet's first page of 100 (by customer, then name) ends before globex's last instances.
    await globexSim.seed({ db: hub.app.hub.db, customer: 'globex', count: 120, namePrefix: 'far' });
    const { page: p, problems } = await page();
    await signInAsVendor(p, 'admin', admin.password);
    await p.getByText('125 instances, 0 unhealthy').waitFor({ timeout: 15_000 });
    await p.getByRole('navigation', { name: 'Pages of instances' }).waitFor();
    assert.equal(await p.getByRole('link', { name: 'far-99', exact: true }).count(), 0, 'not on the first page');
    const searched = p.waitForRequest((r) => new URL(r.url()).searchParams.get('q') === 'far-99');
    await p.getByLabel('Search the fleet').pressSequentially('far-99');
    await searched;
    await p.getByRole('link', { name: 'far-99', exact: true }).waitFor();
    await p.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    assert.equal(await p.getByRole('navigation', { name: 'Pages of instances' }).count(), 0, 'one page of results');
    await p.getByLabel('Search the fleet').fill('');
    await p.waitForFunction(() => document.querySelectorAll('tbody tr').length === 100);
    // A slow search keeps the last table shown, marked busy, instead of blanking it to "Loading…".
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    await p.route((u) => u.searchParams.get('q') === 'far-1', async (route) => {
      await held;
      await route.continue();
    });
    const slow = p.waitForRequest((r) => new URL(r.url()).searchParams.get('q') === 'far-1');
    await p.getByLabel('Search the fleet').fill('far-1');
    await slow;
    await p.locator('[aria-busy="true"] tbody tr').first().waitFor();
    assert.equal(await p.locator('tbody tr').count(), 100, 'the last answer stays while the search runs');
    assert.equal(await p.getByText('Loading…').count(), 0);
    release();
    await p.locator('[aria-busy="false"]').waitFor();
    await p.waitForFunction(() => document.querySelectorAll('tbody tr').length < 100);
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('a wrong password is one clear line, and signing out ends the session', async () => {
    const { page: p } = await page();
    await p.goto(hub.url);
    await p.getByLabel('User name').fill('admin');
    await p.getByLabel('Password').fill('wrong');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').getByText('username or password is wrong').waitFor();
    await p.getByLabel('Password').fill(admin.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByLabel('User name').waitFor();
    const status = await p.evaluate(async () => (await fetch('/api/v1/whoami')).status);
    assert.equal(status, 401, 'the session token is revoked');
    await p.context().close();
  });
});

describe('customer portal', () => {
  it('on a phone’s width: a customer sees its own instances and offers only, without sideways scrolling', async () => {
    const { page: p, problems } = await page({ width: 390, height: 844 });
    await p.goto(hub.url);
    await p.getByRole('tab', { name: 'Customer portal' }).click();
    await p.getByLabel('Customer token').fill(customerToken);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Your instances' }).waitFor();
    await p.getByRole('cell', { name: 'acme-gw-0' }).waitFor();
    assert.equal(await p.getByRole('cell', { name: /globex/ }).count(), 0, 'another customer’s instance is not shown');
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= innerWidth), 'the page fits the phone’s width');
    assert.deepEqual(problems, []);
    await p.context().close();
  });
});

describe('session cookie', () => {
  it('a change made with the cookie alone, without the console’s header, is refused (CSRF)', async () => {
    const login = await fetch(`${hub.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: admin.password, cookie: true }) });
    assert.equal(login.status, 200);
    const body = (await login.json()) as Record<string, unknown>;
    assert.equal(body.token, undefined, 'the token stays in the cookie');
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    const forged = await fetch(`${hub.url}/api/v1/customers`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forged', entitlements: [] }) });
    assert.equal(forged.status, 403);
    assert.match(((await forged.json()) as { error: { message: string } }).error.message, /X-Skiff-CSRF/);
    assert.equal((await api('GET', '/customers')).json.customers instanceof Array && ((await api('GET', '/customers')).json.customers as { name: string }[]).some((c) => c.name === 'forged'), false, 'nothing was created');
    const read = await fetch(`${hub.url}/api/v1/whoami`, { headers: { cookie } });
    assert.equal(read.status, 200, 'a read with the cookie works');
    const made = await fetch(`${hub.url}/api/v1/customers`, { method: 'POST', headers: { cookie, 'x-skiff-csrf': '1', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'real', entitlements: [] }) });
    assert.equal(made.status, 201, 'with the header the change is made');
  });

  it('a customer token that is not valid does not become a session', async () => {
    const res = await fetch(`${hub.url}/api/v1/login/customer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'skc_' + 'x'.repeat(43) }) });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('set-cookie'), null);
  });
});
