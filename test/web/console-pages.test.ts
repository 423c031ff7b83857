// The vendor console's pages in a real Chromium against a real hub and simulated instances: a rollout's progress live
// while versions change on the fleet page, pause and resume by keyboard (confirmed), an instance's page (history with
// a failure's reason, metrics charts, logs filtered live, a support bundle requested, uploaded, downloaded), an alert,
// the delivery report's charts; a viewer is offered no action; every page passes axe-core on a desktop and a phone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import type { SimAgent } from '../../bench/lib/fleet-sim.ts';
import { DOCUMENTED_RESPONSES } from '../../src/hub/response-schemas.ts';
import { APP, checkPage, DESKTOP, openPage, PHONE, signIn, startConsoleWorld, type ConsoleWorld } from './console-fixture.ts';
import { schemaViolations } from './schema-check.ts';

let w: ConsoleWorld;
let rolloutId: string;
let driving = true;
let driver: Promise<void>;

before(async () => {
  w = await startConsoleWorld(6);
  await w.release('2.0.0');
  // Group 1 (2 instances) upgrades, then soaks for an hour: the rollout stays running for the test's pause and resume.
  const made = await w.api<{ id: string }>('POST', '/rollouts', { app: APP, version: '2.0.0', groups: [{ count: 2 }, { count: 4 }], soakSeconds: 3600 });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  rolloutId = made.json.id;
  driver = (async () => {
    while (driving) {
      await w.sim.pollAll();
      await sleep(300);
    }
  })();
});

after(async () => {
  driving = false;
  await driver;
  await w?.close();
});

const agentOn = (version: string): SimAgent => {
  const a = w.sim.agents.find((x) => x.current === version);
  assert.ok(a, `an instance runs ${version}`);
  return a;
};

describe('console pages', () => {
  it('shows versions change on the fleet page and the rollout progress live; pauses and resumes by keyboard, confirmed', async () => {
    const { page: p, problems } = await openPage(w);
    await signIn(w, p);
    await p.getByRole('img', { name: /2\.0\.0: 2/ }).waitFor({ timeout: 30_000 });
    await p.getByRole('cell', { name: '2.0.0' }).first().waitFor();
    await checkPage(p, 'fleet');
    await p.getByRole('link', { name: 'Rollouts' }).click();
    await p.getByRole('heading', { name: /gateway 2\.0\.0/ }).waitFor();
    await p.getByRole('img', { name: '2 of 2 upgraded, 0 failed' }).waitFor({ timeout: 30_000 });
    await checkPage(p, 'rollouts');
    await p.getByRole('button', { name: 'Pause' }).focus();
    await p.keyboard.press('Enter');
    // The confirmation takes the focus: Enter confirms.
    await p.getByRole('button', { name: 'Yes, pause' }).waitFor();
    assert.equal(await p.evaluate(() => document.activeElement?.textContent), 'Yes, pause');
    await p.keyboard.press('Enter');
    await p.getByText('paused', { exact: true }).waitFor();
    assert.equal((await w.api<{ state: string }>('GET', `/rollouts/${rolloutId}`)).json.state, 'paused');
    await p.getByRole('button', { name: 'Resume' }).click();
    await p.getByRole('button', { name: 'Yes, resume' }).click();
    await p.getByText('running', { exact: true }).waitFor();
    assert.equal((await w.api<{ state: string }>('GET', `/rollouts/${rolloutId}`)).json.state, 'running');
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('an instance page: a failure with its reason, metrics charts, logs filtered live, a support bundle requested and downloaded', async () => {
    driving = false;
    await driver;
    const agent = agentOn('1.0.0');
    const asAgent = (method: string, url: string, body: unknown) => w.api(method, url, body, agent.credential);
    const metrics = (k: number) => ({ at: new Date(Date.now() - (3 - k) * 60_000).toISOString(), containers: [{ service: 'web', restarts: k, cpuRatio: 0.1 * k, memoryBytes: (100 + 20 * k) * 2 ** 20, memoryLimitBytes: 2 ** 30 }], diskFree: { stateDir: 2 ** 33, engineRoot: 2 ** 34 } });
    for (let k = 0; k < 3; k++) assert.equal((await asAgent('POST', '/instances/self/status', { currentVersion: '1.0.0', health: 'healthy', metrics: metrics(k) })).status, 204);
    const failedRelease = { version: '2.0.0', at: new Date().toISOString(), reason: 'the health check of web failed; rolled back' };
    assert.equal((await asAgent('POST', '/instances/self/status', { currentVersion: '1.0.0', desiredVersion: '2.0.0', health: 'unhealthy', lastError: 'web: unhealthy', failedRelease, metrics: metrics(3) })).status, 204);
    const line = (seq: number, service: string, level: string, message: string) => ({ seq, at: new Date(Date.now() - 1000 + seq).toISOString(), service, source: 'stdout', level, message });
    assert.equal((await asAgent('POST', `/instances/${agent.id}/logs`, { stream: 'console-test', lines: [line(1, 'web', 'info', 'listening on :8080'), line(2, 'db', 'error', 'connection refused')] })).status, 200);

    const { page: p, problems } = await openPage(w);
    await signIn(w, p);
    await p.getByRole('link', { name: agent.name }).click();
    await p.getByRole('heading', { name: `${agent.name} (acme)` }).waitFor();
    await p.getByText('upgrade to 2.0.0 failed: the health check of web failed; rolled back').waitFor();
    await p.getByRole('img', { name: /CPU .*latest: web 30\.0 %/ }).waitFor();
    await p.getByRole('img', { name: /Memory, latest: web 160 MB/ }).waitFor();
    await p.getByRole('img', { name: /Container restarts, latest: web 3/ }).waitFor();
    const logs = p.getByLabel('Log lines');
    await logs.getByText('listening on :8080').waitFor();
    await p.getByLabel('Level').selectOption('error');
    await p.waitForFunction(() => !document.querySelector('.logs')?.textContent?.includes('listening'));
    await logs.getByText('connection refused').waitFor();
    await p.getByLabel('Level').selectOption('');
    await p.getByLabel('Text').fill('8080');
    await logs.getByText('listening on :8080').waitFor();
    await p.waitForFunction(() => !document.querySelector('.logs')?.textContent?.includes('refused'));
    assert.equal((await asAgent('POST', `/instances/${agent.id}/logs`, { stream: 'console-test', lines: [line(3, 'web', 'info', 'served 8080 requests')] })).status, 200);
    await logs.getByText('served 8080 requests').waitFor({ timeout: 10_000 });
    await p.getByRole('button', { name: 'Request a support bundle' }).click();
    await p.getByText(/^Requested .* next check-in\.$/).waitFor();
    const upload = await fetch(`${w.hub.url}/api/v1/instances/${agent.id}/support-bundles`, { method: 'POST', headers: { authorization: `Bearer ${agent.credential}`, 'content-type': 'application/gzip' }, body: gzipSync(Buffer.from('support bundle')) });
    assert.equal(upload.status, 201, await upload.text());
    const link = p.getByRole('link', { name: /KiB\)$/ });
    await link.waitFor({ timeout: 10_000 });
    const href = (await link.getAttribute('href')) ?? '';
    assert.equal(await p.evaluate(async (u) => (await fetch(u)).status, href), 200, 'the bundle downloads with the session');
    await checkPage(p, 'instance');
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('shows the firing alert and the delivery report’s charts', async () => {
    await w.hub.app.hub.alerts.evaluate();
    const { page: p, problems } = await openPage(w);
    await signIn(w, p);
    await p.getByRole('link', { name: 'Alerts' }).click();
    await p.getByRole('cell', { name: 'SkiffInstanceUnhealthy' }).waitFor();
    await p.getByRole('cell', { name: 'SkiffUpgradeFailed' }).waitFor();
    await checkPage(p, 'alerts');
    await p.getByRole('link', { name: 'Delivery reports' }).click();
    await p.getByRole('img', { name: /Instances per version: 2\.0\.0: 2, 1\.0\.0: 4/ }).waitFor();
    await p.getByRole('img', { name: /Releases behind their channel/ }).waitFor();
    await checkPage(p, 'reports');
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('pages the fleet: limit and offset in order of customer and name; the summary counts the whole fleet', async () => {
    const page = await w.api<{ instances: { name: string }[] }>('GET', '/instances?limit=2&offset=2');
    assert.deepEqual(page.json.instances.map((i) => i.name), ['acme-gw-2', 'acme-gw-3']);
    assert.equal((await w.api('GET', '/instances?limit=0')).status, 400);
    const summary = await w.api<{ instances: number; unhealthy: number; versions: { version: string | null; count: number }[] }>('GET', '/instances/summary');
    assert.deepEqual(summary.json, { instances: 6, unhealthy: 1, versions: [{ version: '1.0.0', count: 4 }, { version: '2.0.0', count: 2 }] });
  });

  it('every documented read answers as documented (the client’s types hold)', async () => {
    const id = agentOn('1.0.0').id;
    const urls: Record<string, string> = {
      'GET /session': '/session', 'GET /whoami': '/whoami', 'GET /apps': '/apps', 'GET /apps/:app/releases': `/apps/${APP}/releases`, 'GET /apps/:app/channels': `/apps/${APP}/channels`,
      'GET /customers': '/customers', 'GET /audit': '/audit', 'GET /instances': '/instances', 'GET /instances/summary': '/instances/summary', 'GET /instances/:id': `/instances/${id}`,
      'GET /rollouts': '/rollouts', 'GET /rollouts/:id': `/rollouts/${rolloutId}`, 'GET /alerts': '/alerts', 'GET /logs': `/logs?instance=${id}`,
      'GET /instances/:id/support-bundles': `/instances/${id}/support-bundles`, 'GET /reports/adoption': `/reports/adoption?app=${APP}`,
      'GET /apps/:app/notes': `/apps/${APP}/notes?customer=acme`, 'GET /customers/:customer/apps/:app/approval': `/customers/acme/apps/${APP}/approval`,
      'GET /customers/:customer/apps/:app/policy': `/customers/acme/apps/${APP}/policy`, 'GET /customers/:customer/users': '/customers/acme/users', 'GET /instances/:id/approvals': `/instances/${id}/approvals`,
      'GET /apps/:app/releases/:version/details': `/apps/${APP}/releases/2.0.0/details`, 'GET /apps/:app/releases/:version/diff': `/apps/${APP}/releases/2.0.0/diff?from=1.0.0`,
      'GET /customers/:customer/tokens': '/customers/acme/tokens', 'GET /customers/:customer/apps/:app/values': `/customers/acme/apps/${APP}/values`,
    };
    for (const [route, statuses] of Object.entries(DOCUMENTED_RESPONSES)) {
      if (!route.startsWith('GET ')) continue;
      const url = urls[route];
      assert.ok(url, `${route} is checked here`);
      const got = await w.api<unknown>('GET', url);
      assert.equal(got.status, 200, `${url}: ${JSON.stringify(got.json)}`);
      assert.deepEqual(schemaViolations(statuses[200]!, got.json), [], `${url} answers as documented`);
    }
    const customer = await w.api<{ token: string }>('POST', '/customers', { name: 'initech', entitlements: [] });
    const asCustomer = await w.api<unknown>('GET', '/session', undefined, customer.json.token);
    assert.deepEqual(schemaViolations(DOCUMENTED_RESPONSES['GET /session']![200]!, asCustomer.json), [], 'a customer’s session answers as documented');
  });

  it('every documented change answers as documented (the client’s types hold)', async () => {
    const id = agentOn('1.0.0').id;
    const check = async (route: string, url: string, body?: unknown): Promise<unknown> => {
      const [method] = route.split(' ');
      const documented = DOCUMENTED_RESPONSES[route];
      assert.ok(documented, `${route} is documented`);
      const [status, schema] = Object.entries(documented)[0]!;
      const got = await w.api<unknown>(method!, url, body);
      assert.equal(got.status, Number(status), `${route}: ${JSON.stringify(got.json)}`);
      assert.deepEqual(schemaViolations(schema, got.json), [], `${route} answers as documented`);
      return got.json;
    };
    await check('POST /customers/:customer/enroll-tokens', '/customers/acme/enroll-tokens', { app: APP });
    await check('POST /apps/:app/channels/:channel/releases', `/apps/${APP}/channels/documented/releases`, { version: '2.0.0' });
    // PATCH /customers/:customer/apps/:app/values is checked in console-releases.test.ts, whose release declares settings.
    await check('POST /customers/:customer/tokens', '/customers/acme/tokens', {});
    const listed = await w.api<{ tokens: { id: string; kind: string; createdAt: string; revokedAt: string | null }[] }>('GET', '/customers/acme/tokens');
    const issued = listed.json.tokens.filter((t) => t.kind === 'customer' && !t.revokedAt).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
    assert.ok(issued, JSON.stringify(listed.json));
    await check('DELETE /tokens/:id', `/tokens/${issued.id}`);
    assert.equal((await w.api('POST', '/customers/acme/users', { username: 'documented', password: 'correct horse battery staple', role: 'customer-viewer' })).status, 201);
    await check('DELETE /customers/:customer/users/:username', '/customers/acme/users/documented');
    await check('POST /instances/:id/approvals', `/instances/${id}/approvals`, { version: '2.0.0' });
  });

  it('promotes a release and makes an enrollment token from their pages, each through the typed client', async () => {
    const { page: p, problems } = await openPage(w);
    p.on('dialog', (d) => void d.accept());
    await signIn(w, p);
    await p.getByRole('link', { name: 'Apps & releases' }).click();
    const form = p.locator('.promote').first();
    await form.getByRole('combobox', { name: 'Release' }).selectOption('2.0.0');
    await form.getByRole('combobox', { name: 'Channel' }).fill('from-console');
    await form.getByRole('button', { name: 'Promote' }).click();
    await p.getByRole('status').filter({ hasText: '2.0.0 is on from-console' }).waitFor();
    const channels = await w.api<{ channels: { name: string; releases: { version: string }[] }[] }>('GET', `/apps/${APP}/channels`);
    assert.deepEqual(channels.json.channels.find((c) => c.name === 'from-console')?.releases.map((r) => r.version), ['2.0.0']);
    await p.getByRole('link', { name: 'Customers' }).click();
    await p.getByRole('button', { name: /New enrollment token/ }).first().click();
    assert.match(await p.locator('output.token').first().innerText({ timeout: 10_000 }), /^ske_/);
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('offers a viewer no rollout command and no support bundle request', async () => {
    assert.equal((await w.api('POST', '/users', { username: 'vic', password: 'correct horse battery staple', role: 'viewer' })).status, 201);
    const { page: p, problems } = await openPage(w);
    await signIn(w, p, 'vic', 'correct horse battery staple');
    await p.getByRole('link', { name: 'Rollouts' }).click();
    await p.getByRole('heading', { name: /gateway 2\.0\.0/ }).waitFor();
    assert.equal(await p.getByRole('button', { name: /Pause|Cancel|Resume|Retry/ }).count(), 0);
    await p.goto(`${w.hub.url}/#/fleet/${agentOn('1.0.0').id}`);
    await p.getByRole('heading', { name: 'Support bundles' }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Request a support bundle' }).count(), 0);
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('retries the failed instance from the rollouts page, confirmed; a viewer is not offered it', async () => {
    // A rollout whose one group has started, and an instance that reports the release failed.
    assert.equal((await w.api('POST', `/rollouts/${rolloutId}/cancel`, {})).status, 200);
    const made = await w.api<{ id: string }>('POST', '/rollouts', { app: APP, version: '2.0.0', groups: [{ count: 6 }] });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    for (let k = 0; k < 100 && !(await w.api<{ groups: { startedAt: string | null }[] }>('GET', `/rollouts/${made.json.id}`)).json.groups[0]?.startedAt; k++) await sleep(100);
    const agent = agentOn('1.0.0');
    const failedRelease = { version: '2.0.0', at: new Date().toISOString(), reason: 'the health check of web failed; rolled back' };
    assert.equal((await w.api('POST', '/instances/self/status', { currentVersion: '1.0.0', health: 'unhealthy', failedRelease }, agent.credential)).status, 204);
    const failedOne = { name: '2 of 6 upgraded, 1 failed' };

    assert.equal((await w.api('POST', '/users', { username: 'rita', password: 'correct horse battery staple', role: 'viewer' })).status, 201);
    const viewer = await openPage(w);
    await signIn(w, viewer.page, 'rita', 'correct horse battery staple');
    await viewer.page.getByRole('link', { name: 'Rollouts' }).click();
    await viewer.page.getByRole('img', failedOne).waitFor({ timeout: 15_000 });
    assert.equal(await viewer.page.getByRole('button', { name: 'Retry failed' }).count(), 0);
    await viewer.page.context().close();

    const { page: p, problems } = await openPage(w);
    await signIn(w, p);
    await p.getByRole('link', { name: 'Rollouts' }).click();
    await p.getByRole('img', failedOne).waitFor({ timeout: 15_000 });
    await p.getByRole('button', { name: 'Retry failed' }).click();
    await p.getByText('Try the 1 failed instance of gateway 2.0.0 again?').waitFor();
    await p.getByRole('button', { name: 'No' }).click();
    assert.equal(await p.getByRole('img', failedOne).count(), 1, 'declining changes nothing');
    await p.getByRole('button', { name: 'Retry failed' }).click();
    await p.getByRole('button', { name: 'Yes, retry' }).click();
    await p.getByRole('img', { name: '2 of 6 upgraded, 0 failed' }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Retry failed' }).count(), 0, 'nothing left to retry');
    const rollout = await w.api<{ groups: { failed: number }[] }>('GET', `/rollouts/${made.json.id}`);
    assert.deepEqual(rollout.json.groups.map((g) => g.failed), [0]);
    const audit = await w.api<{ entries: { action: string }[] }>('GET', '/audit?limit=1000');
    assert.ok(audit.json.entries.some((e) => e.action === 'rollout.retry'), 'the retry is audited');
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  it('on a phone the navigation folds behind a menu button: keyboard opens it, Escape closes it and gives the focus back', async () => {
    const { page: p, problems } = await openPage(w, PHONE);
    await signIn(w, p);
    const menu = p.getByRole('button', { name: 'Menu' });
    const nav = p.getByRole('navigation', { name: 'Main' });
    // The header is one line: brand, menu, who, sign-out; no button's label wraps.
    const boxes = await Promise.all([p.locator('.brand'), menu, p.getByRole('button', { name: 'Sign out' })].map(async (l) => (await l.boundingBox())!));
    const line = boxes[0]!.y + boxes[0]!.height / 2;
    for (const b of boxes) assert.ok(Math.abs(b.y + b.height / 2 - line) < 6, `on the header's line: ${JSON.stringify(boxes)}`);
    assert.ok(Math.abs(boxes[2]!.height - boxes[1]!.height) < 2, `"Sign out" is one line as "Menu" is: ${JSON.stringify(boxes)}`);
    assert.equal(await nav.getByRole('link', { name: 'Rollouts' }).isVisible(), false, 'folded at first');
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    await menu.focus();
    await p.keyboard.press('Enter');
    await nav.getByRole('link', { name: 'Rollouts' }).waitFor();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    assert.equal(await p.evaluate(() => document.activeElement?.textContent), 'Fleet', 'the focus moves into the menu');
    await checkPage(p, 'menu');
    await p.keyboard.press('Escape');
    await nav.getByRole('link', { name: 'Rollouts' }).waitFor({ state: 'hidden' });
    assert.equal(await p.evaluate(() => document.activeElement?.textContent), 'Menu', 'the focus is back on the button');
    await p.keyboard.press('Enter');
    await nav.getByRole('link', { name: 'Rollouts' }).click();
    await p.getByRole('heading', { name: 'Rollouts', level: 1 }).waitFor();
    await nav.getByRole('link', { name: 'Rollouts' }).waitFor({ state: 'hidden' });
    await p.setViewportSize(DESKTOP);
    await nav.getByRole('link', { name: 'Rollouts' }).waitFor();
    assert.equal(await menu.isVisible(), false, 'a desktop shows the navigation without a menu button');
    assert.deepEqual(problems, []);
    await p.context().close();
  });

  for (const [label, viewport] of [['a 390-px phone', PHONE], ['a 1280×800 desktop', DESKTOP]] as const) {
    it(`every console page on ${label}: no serious accessibility violation, no sideways scrolling, no console error`, async () => {
      const { page: p, problems } = await openPage(w, viewport);
      await signIn(w, p);
      const pages: [string, string, RegExp][] = [
        ['fleet', '#/fleet', /^Fleet$/], ['rollouts', '#/rollouts', /^Rollouts$/], ['alerts', '#/alerts', /^Alerts$/], ['reports', '#/reports', /^Delivery report$/],
        ['instance', `#/fleet/${agentOn('1.0.0').id}`, /\(acme\)$/], ['apps', '#/apps', /^Apps/], ['customers', '#/customers', /^Customers$/], ['audit', '#/audit', /^Audit log$/],
      ];
      for (const [name, hash, heading] of pages) {
        await p.goto(`${w.hub.url}/${hash}`);
        await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await p.waitForLoadState('networkidle');
        await checkPage(p, name);
      }
      assert.deepEqual(problems, []);
      await p.context().close();
    });
  }
});
