// Figure: the console's fleet page with 10,000 instances (500 enrolled through the API, the rest seeded into the
// database, as bench/hub-checkins.ts does), in Debian's Chromium against a hub serving the Vite build: time from
// navigation to the first rendered instance row and fleet summary, and the bytes transferred for it (headers and
// bodies, a fresh cache, signed in). The peer is the same page's data unpaged: GET /instances of all 10,000.
// Prints one JSON row on stdout (bench/run.sh collects it).
import { performance } from 'node:perf_hooks';
import type { Browser, BrowserContext } from 'playwright-core';
import { openPage, signIn, startConsoleWorld } from '../test/web/console-fixture.ts';
import { median, ROUNDS, type ResultRow } from './lib/run.ts';

const INSTANCES = Number(process.env.BENCH_FLEET_SIZE ?? 10_000);
const ENROLLED_VIA_API = Math.min(INSTANCES, Number(process.env.BENCH_FLEET_ENROLL ?? 500));
const progress = (line: string): void => void process.stderr.write(`  ${line}\n`);

async function firstRender(browser: Browser, url: string, cookies: Parameters<BrowserContext['addCookies']>[0]): Promise<{ ms: number; bytes: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    await context.addCookies(cookies);
    const page = await context.newPage();
    const sizes: Promise<number>[] = [];
    page.on('requestfinished', (req) => sizes.push(req.sizes().then((s) => s.responseHeadersSize + s.responseBodySize + s.requestHeadersSize + s.requestBodySize)));
    const t0 = performance.now();
    await page.goto(`${url}/#/fleet`);
    await page.locator('tbody tr').first().waitFor({ timeout: 120_000 });
    await page.getByText(`${INSTANCES} instances`, { exact: false }).waitFor({ timeout: 120_000 });
    const ms = performance.now() - t0;
    await page.waitForLoadState('networkidle');
    return { ms, bytes: (await Promise.all(sizes)).reduce((a, b) => a + b, 0) };
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  progress(`enrolling ${ENROLLED_VIA_API} instances through the API, seeding ${INSTANCES - ENROLLED_VIA_API}`);
  const w = await startConsoleWorld(ENROLLED_VIA_API);
  try {
    if (INSTANCES > ENROLLED_VIA_API) await w.sim.seed({ db: w.hub.app.hub.db, customer: 'acme', count: INSTANCES - ENROLLED_VIA_API });
    const { page } = await openPage(w);
    await signIn(w, page);
    const cookies = await page.context().cookies();
    await page.context().close();
    const runs: { ms: number; bytes: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) runs.push(await firstRender(w.browser, w.hub.url, cookies));
    const all = await fetch(`${w.hub.url}/api/v1/instances`, { headers: { authorization: `Bearer ${w.admin.token}` } });
    const allBytes = (await all.arrayBuffer()).byteLength;
    const ms = median(runs.map((r) => r.ms));
    const kib = median(runs.map((r) => r.bytes)) / 1024;
    const row: ResultRow = {
      figure: `console fleet page, ${INSTANCES.toLocaleString('en')} instances (SQLite, Chromium, fresh cache): time to first render; bytes transferred (page of 100 + summary)`,
      skiff: `${Math.round(ms)} ms; ${kib.toFixed(0)} KiB`,
      peer: `unpaged GET /instances: ${(allBytes / 1024).toFixed(0)} KiB`,
      ratio: `${(allBytes / 1024 / kib).toFixed(1)}× fewer bytes`,
      target: '—',
      met: '—',
      samples: runs.map((r) => `${Math.round(r.ms)} ms / ${(r.bytes / 1024).toFixed(0)} KiB`).join(', '),
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
  } finally {
    await w.close();
  }
}

await main();
