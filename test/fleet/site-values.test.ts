// Per-site values end to end, with a real `skiff hub serve` (its request log on), the real agent and the real Docker
// Engine: values set at the hub reach the containers (an instance's over its customer's), a bad value is refused when
// set, a release missing a required setting is held back with its reason until the value is set, a values change
// that makes the app unhealthy rolls back to the old values, and a secret never shows in any API answer, log, status
// or report (nor in the hub's data directory: it is sealed at rest).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { agentStatus, runConnected } from '../../src/agent/index.ts';
import { buildReport } from '../../src/agent/connected/index.ts';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import { loadTrustDir } from '../../src/trust/index.ts';
import {
  FAST,
  cleanupApp,
  dockerExec,
  forgetImages,
  page,
  removeDir,
  runCli,
  tempDir,
} from '../helpers/agent.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { makeVendor, type ComposeDoc, type Vendor } from '../helpers/vendor.ts';

interface View {
  id: string;
  name: string;
  currentVersion: string | null;
  lastError: string | null;
  blockedReason: string | null;
}

/** Release shape of this test: web is unhealthy while GREETING is "broken", and its probe then prints API_TOKEN. */
const probeOn = (doc: ComposeDoc): void => {
  const web = doc.services.web as { healthcheck: { test: string[] } };
  web.healthcheck.test = [
    'CMD-SHELL',
    'wget -q -O /dev/null http://127.0.0.1:8080/ && test "$$GREETING" != broken || { echo "probe saw $$API_TOKEN"; exit 1; }',
  ];
};
/** 1.1.0 also needs REGION (required, no default), passed to web. */
const needsRegion = (doc: ComposeDoc): void => {
  probeOn(doc);
  (doc.services.web as { environment: Record<string, string> }).environment.REGION = '${REGION}';
  (doc['x-skiff'] as { config: Record<string, unknown> }).config.REGION = {
    type: 'string',
    required: true,
    description: 'data region',
  };
};

const SECRET = `planted-${Math.random().toString(36).slice(2)}-secret`;

describe('per-site values', () => {
  let vendor: Vendor;
  let hub: HubProcess;
  let admin: HubClient;
  let token: string;
  let work: string;
  let data: string;
  let hubLog: string;
  let stateDir: string;
  let inst: View;
  const logs: string[] = [];

  const agent = (extra: { enrollToken?: string } = {}) =>
    runConnected({ stateDir, hub: hub.url, once: true, log: (l) => logs.push(l), ...FAST, ...extra });
  const skiff = (...args: string[]) => runCli([...args, '--hub', hub.url, '--token', token]);
  const env = async (name: string): Promise<string> =>
    (await dockerExec(`${vendor.app}-web-1`, `printf %s "$${name}"`)).trim();
  const view = () => admin.get<View>(`/instances/${inst.id}`);

  before(async () => {
    vendor = await makeVendor('skvl');
    work = await tempDir('skiff-values');
    data = path.join(work, 'hub');
    hubLog = path.join(work, 'hub.log');
    stateDir = path.join(work, 'state');
    token = (await hubInit({ data })).token;
    hub = await startHubProcess({ data, logFile: hubLog });
    admin = new HubClient({ hub: hub.url, token });
    await admin.post('/apps', { name: vendor.app, root: await readFile(vendor.rootJson, 'utf8') });
    await admin.request('PUT', `/apps/${vendor.app}/keys/timestamp`, {
      key: await (await loadTrustDir(vendor.trustDir)).timestampKeyPem(),
    });
    const made = [
      await vendor.createVersion('1.0.0', { edit: probeOn }),
      await vendor.createVersion('1.1.0', { edit: needsRegion }),
    ];
    for (const r of made)
      await pushRelease({
        conn: { hub: hub.url, token },
        store: vendor.store,
        app: vendor.app,
        version: r.manifest.version,
      });
    await forgetImages(
      vendor.engine,
      made.flatMap((r) => Object.values(r.manifest.images).map((i) => i.configDigest)),
    );
    await admin.post('/customers', { name: 'acme', entitlements: [{ app: vendor.app, channel: 'stable' }] });
    await admin.post(`/apps/${vendor.app}/channels/stable/releases`, { version: '1.0.0' });
  });
  after(async () => {
    await cleanupApp(vendor.engine, vendor.app);
    await hub?.stop();
    await vendor.cleanup();
    await removeDir(work);
  });

  it('values set for a customer before enrollment reach the containers of its new instance', async () => {
    const set = await skiff('values', 'set', 'acme', '--app', vendor.app, 'GREETING=bonjour');
    assert.equal(set.code, 0, set.stderr);
    const { token: enrollToken } = await admin.post<{ token: string }>('/customers/acme/enroll-tokens', {
      app: vendor.app,
    });
    await agent({ enrollToken });
    assert.equal(await page(vendor.webPort), 'web 1.0.0');
    assert.equal(await env('GREETING'), 'bonjour');
    [inst] = (await admin.get<{ instances: View[] }>('/instances')).instances as [View];
    assert.equal(inst.currentVersion, '1.0.0');
  });

  it('a bad value is refused when set, naming the setting, and nothing changes', async () => {
    const before = await admin.get(`/customers/acme/apps/${vendor.app}/values`);
    const [bad, noEquals] = await Promise.all([
      skiff('values', 'set', `acme/${inst.name}`, 'WEB_PORT=not-a-port'),
      skiff('values', 'set', 'acme', '--app', vendor.app, SECRET),
    ]);
    assert.equal(bad.code, 1, bad.stdout);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(
      bad.stderr,
      /^skiff: hub: invalid values: setting WEB_PORT must be a port \(an integer 1-65535\) \(checked against .*@1\.0\.0, which acme\/.* would run\): nothing was changed$/m,
    );
    await assert.rejects(
      admin.request('PATCH', `/instances/${inst.id}/values`, { set: { GREETNG: 'hi' } }),
      /GREETNG is not a setting of this release \(known: WEB_PORT, GREETING, API_TOKEN\)/,
    );
    await assert.rejects(
      admin.request('PATCH', `/instances/${inst.id}/values`, { unset: ['GREETING'] }),
      /GREETING is not set for instance/,
    );
    assert.deepEqual(await admin.get(`/customers/acme/apps/${vendor.app}/values`), before);
    assert.equal(noEquals.code, 2);
    assert.doesNotMatch(noEquals.stderr, new RegExp(SECRET), 'a mistyped argument is never echoed');
  });

  it("an instance's value overrides its customer's, and is applied like an upgrade", async () => {
    await admin.request('PATCH', `/instances/${inst.id}/values`, { set: { GREETING: 'hallo' } });
    await agent();
    assert.equal(await env('GREETING'), 'hallo');
    const [own, customer] = await Promise.all([
      skiff('values', 'list', `acme/${inst.name}`),
      skiff('values', 'list', 'acme', '--app', vendor.app),
    ]);
    assert.match(own.stdout, /GREETING +hallo +instance/);
    assert.match(customer.stdout, /GREETING +bonjour +customer/);
    const status = await agentStatus(stateDir);
    assert.equal(status.history.at(-1)?.event, 'reconfigured');
    assert.equal(status.previous, undefined, 'a reconfiguration is not a release to roll back to');
  });

  it('a secret is sealed, write-only and reaches only its instance', async () => {
    // From standard input, as the README advises for secrets (not in shell history or the process list).
    const set = await runCli(['values', 'set', 'acme', '--app', vendor.app, '--stdin', 'API_TOKEN', '--secret', '--hub', hub.url, '--token', token], {}, `${SECRET}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /API_TOKEN \(secret\)/);
    await agent();
    assert.equal(await env('API_TOKEN'), SECRET, 'the container has it');
    const auto = await admin.request<{ sealed: string[] }>('PATCH', `/instances/${inst.id}/values`, {
      set: { API_TOKEN: `${SECRET}-2` },
    });
    assert.deepEqual(
      auto.sealed,
      ['API_TOKEN'],
      'a setting the release declares secret is sealed without --secret',
    );
    await admin.request('PATCH', `/instances/${inst.id}/values`, { unset: ['API_TOKEN'] });
    const customerToken = (await admin.post<{ token: string }>('/customers/acme/tokens')).token;
    const asCustomer = new HubClient({ hub: hub.url, token: customerToken });
    const own = await asCustomer.get<{ values: { name: string; value?: string; set: boolean }[] }>(
      `/customers/acme/apps/${vendor.app}/values`,
    );
    assert.deepEqual(
      own.values.find((v) => v.name === 'GREETING')?.value,
      'bonjour',
      'a customer reads its own plain values',
    );
    assert.deepEqual(
      own.values.find((v) => v.name === 'API_TOKEN'),
      { name: 'API_TOKEN', level: 'customer', secret: true, set: true, declared: true, required: false },
    );
    await assert.rejects(
      asCustomer.request('PATCH', `/customers/acme/apps/${vendor.app}/values`, { set: { GREETING: 'x' } }),
      /not found/,
    );
    const self = await request(`${hub.url}/api/v1/instances/self/values?version=1.0.0`, {
      headers: { authorization: `Bearer ${customerToken}` },
    });
    assert.equal(self.statusCode, 404, await self.body.text());
  });

  it('a release missing a required setting is held back with its reason, and follows once the value is set', async () => {
    await admin.post(`/apps/${vendor.app}/channels/stable/releases`, { version: '1.1.0' });
    await agent();
    assert.equal(await page(vendor.webPort), 'web 1.0.0', 'not offered');
    assert.match(
      (await view()).blockedReason ?? '',
      /@1\.1\.0 is held back: invalid values: setting REGION is required \(data region\)/,
    );
    const [fleet, list] = await Promise.all([skiff('fleet'), skiff('values', 'list', `acme/${inst.name}`)]);
    assert.match(fleet.stdout, /1\.0\.0 .*held back: .*REGION is required/);
    assert.match(list.stdout, /API_TOKEN +\(secret, set\) +customer/);
    assert.match(list.stdout, /REGION +\(not set\) +- +required/);
    assert.match(list.stdout, /held back: acme\/.* cannot get .*@1\.1\.0 yet: .*REGION is required/);
    await admin.request('PATCH', `/customers/acme/apps/${vendor.app}/values`, { set: { REGION: 'eu-west' } });
    await agent();
    assert.equal(await page(vendor.webPort), 'web 1.1.0');
    assert.deepEqual(
      [await env('REGION'), await env('GREETING'), await env('API_TOKEN')],
      ['eu-west', 'hallo', SECRET],
      "the hub's values came along",
    );
    await agent();
    assert.equal((await view()).blockedReason, null);
  });

  it('a values change that makes the app unhealthy rolls back to the old values', async () => {
    logs.length = 0;
    await admin.request('PATCH', `/instances/${inst.id}/values`, { set: { GREETING: 'broken' } });
    await agent();
    assert.equal(await env('GREETING'), 'hallo', 'back on the old values');
    assert.equal(await page(vendor.webPort), 'web 1.1.0');
    const v = await view();
    assert.equal(v.currentVersion, '1.1.0');
    assert.match(
      v.lastError ?? '',
      /with the new values: service web failed: .*probe saw \*\*\*; back on the previous values/,
    );
    const last = (await agentStatus(stateDir)).history.at(-1);
    assert.deepEqual([last?.event, last?.from, last?.to], ['rolled-back', '1.1.0', '1.1.0']);
    assert.match(last?.detail ?? '', /^new values: service web failed/);
    await agent();
    assert.equal(
      logs.filter((l) => /applying new values/.test(l)).length,
      1,
      'failed values are not retried by themselves',
    );
    await admin.request('PATCH', `/instances/${inst.id}/values`, { set: { GREETING: 'hallo again' } });
    await agent();
    assert.equal(await env('GREETING'), 'hallo again', 'new values are tried');
  });

  it('the planted secret shows in no API answer, hub log, data file, agent log, status or report', async () => {
    const answers = [
      await admin.get(`/customers/acme/apps/${vendor.app}/values`),
      await admin.get(`/instances/${inst.id}/values`),
      await admin.get(`/instances/${inst.id}`),
      await admin.get('/instances'),
      await admin.get('/audit?limit=1000'),
      await admin.get(`/customers/acme/instances`),
    ];
    const cli = await Promise.all([
      skiff('values', 'list', `acme/${inst.name}`, '--json'),
      skiff('fleet', '--json'),
      skiff('instance', 'show', inst.id, '--json'),
      runCli(['agent', 'status', '--state', stateDir]),
    ]);
    const audit = answers[4] as { entries: { action: string; details: Record<string, unknown> }[] };
    assert.deepEqual(
      audit.entries.find(
        (e) => e.action === 'values.set' && (e.details.set as string[]).includes('API_TOKEN'),
      )?.details,
      { app: vendor.app, set: ['API_TOKEN'], unset: [], secret: ['API_TOKEN'] },
    );
    await hub.stop();
    const places: [string, string][] = [
      ...answers.map((a, i): [string, string] => [`API answer ${i}`, JSON.stringify(a)]),
      ...cli.map((r, i): [string, string] => [`CLI output ${i}`, r.stdout + r.stderr]),
      ['hub log', await readFile(hubLog, 'utf8')],
      ['agent log', logs.join('\n')],
      ['agent status', JSON.stringify(await agentStatus(stateDir))],
      ['agent report', JSON.stringify(await buildReport(stateDir, '1.1.0', 'idle', null))],
    ];
    for (const file of await readdir(data, { recursive: true })) {
      const bytes = await readFile(path.join(data, file)).catch(() => undefined);
      if (bytes) places.push([`hub data ${file}`, bytes.toString('latin1')]);
    }
    assert.ok(
      (await readFile(hubLog, 'utf8')).includes('/instances/self/values'),
      'the hub log is the request log',
    );
    for (const [where, text] of places) assert.ok(!text.includes(SECRET), `the secret shows in the ${where}`);
  });
});
