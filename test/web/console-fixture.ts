// A real hub serving the console built by Vite, with an app, two releases, a customer and simulated instances; a real
// Chromium; and the checks every console page gets: axe-core in the page (no serious or critical violation), no
// console error, no sideways scrolling, and a screenshot (desktop and phone) in the git-ignored .tmp/console-screenshots.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { FleetSim } from '../../bench/lib/fleet-sim.ts';
import { startHubServer, type RunningHub } from '../../src/hub/server.ts';
import { initTrust, serializeRoot } from '../../src/trust/index.ts';
import { putPlaceholderRelease } from '../helpers/checkin.ts';
import { hubApi } from '../helpers/hub-api.ts';
import { hubInit } from '../helpers/hub-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOTS = path.join(ROOT, '.tmp/console-screenshots');
export const APP = 'gateway';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface ConsoleWorld {
  readonly hub: RunningHub;
  readonly browser: Browser;
  readonly admin: { token: string; password: string };
  readonly sim: FleetSim;
  api<T = Record<string, unknown>>(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; json: T }>;
  /** Adds a release of the app (a placeholder manifest) and promotes it to stable. */
  release(version: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConsoleWorld(instances: number): Promise<ConsoleWorld> {
  const work = await mkdtemp(path.join(tmpdir(), 'skiff-console-pages-'));
  const webDir = path.join(work, 'web');
  await viteBuild({ configFile: path.join(ROOT, 'web/vite.config.ts'), build: { outDir: webDir, emptyOutDir: true }, logLevel: 'error' });
  const data = path.join(work, 'hub');
  const admin = await hubInit({ data });
  const hub = await startHubServer({ dataDir: data, listen: '127.0.0.1:0', webDir, rollouts: { tickMs: 100 } });
  const api = <T>(method: string, url: string, body?: unknown, token = admin.token) => hubApi<T>(hub.url, token, method, url, body);
  const { db } = hub.app.hub;
  const release = async (version: string): Promise<void> => {
    await db.mutate((tx) => putPlaceholderRelease(tx, APP, version), { actor: 'test', action: 'test.release', target: version, address: 'local' });
    assert.equal((await api('POST', `/apps/${APP}/channels/stable/releases`, { version, required: false })).status, 201);
  };
  const trust = await initTrust(path.join(work, 'trust'));
  await db.mutate((tx) => tx.createApp(APP, { version: 1, bytes: Buffer.from(serializeRoot(trust.root)) }), { actor: 'test', action: 'test.app', target: APP, address: 'local' });
  assert.equal((await api('PUT', `/apps/${APP}/keys/timestamp`, { key: await trust.timestampKeyPem() })).status, 200);
  await release('1.0.0');
  assert.equal((await api('POST', '/customers', { name: 'acme', entitlements: [{ app: APP, channel: 'stable' }] })).status, 201);
  const enrollToken = (await api<{ token: string }>('POST', '/customers/acme/enroll-tokens', { app: APP, uses: instances })).json.token;
  const sim = await FleetSim.enroll({ hub: hub.url, enrollToken, count: instances, namePrefix: 'acme-gw', concurrency: 4 });
  await sim.pollAll();
  await sim.reportAll();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  await mkdir(SCREENSHOTS, { recursive: true });
  return {
    hub, browser, admin, sim, api, release,
    async close() {
      await browser.close();
      await sim.close();
      await hub.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

export function openPage(w: ConsoleWorld, viewport = DESKTOP): Promise<{ page: Page; problems: string[] }> {
  return openBrowserPage(w.browser, viewport);
}

/** A page in a fresh context that collects console errors, warnings and page errors into `problems`. */
export async function openBrowserPage(browser: Browser, viewport = DESKTOP, extra: BrowserContextOptions = {}): Promise<{ page: Page; problems: string[] }> {
  // The page's own CSP forbids the injected axe script; only this test context bypasses it.
  const context = await browser.newContext({ ...extra, viewport, bypassCSP: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { page, problems };
}

export async function signIn(w: ConsoleWorld, p: Page, username = 'admin', password = w.admin.password): Promise<void> {
  await p.goto(w.hub.url);
  await p.getByLabel('User name').fill(username);
  await p.getByLabel('Password').fill(password);
  await p.keyboard.press('Enter');
  await p.getByRole('button', { name: 'Sign out' }).waitFor();
}

let axeSource: string | undefined;

/** axe-core in the page: the serious and critical violations, one line each. */
export async function axeViolations(p: Page): Promise<string[]> {
  axeSource ??= await readFile(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ content: axeSource });
  return p.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(document);
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
  });
}

/** The checks every page gets at its current state; a screenshot named `<name>-<desktop|phone>.png`. */
export async function checkPage(p: Page, name: string): Promise<void> {
  assert.deepEqual(await axeViolations(p), [], `${name}: axe-core found serious or critical violations`);
  const width = p.viewportSize()?.width ?? 0;
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${name} fits ${width} px without sideways scrolling`);
  await p.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width <= 400 ? 'phone' : 'desktop'}.png`), fullPage: true });
}
