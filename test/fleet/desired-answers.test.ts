// What the connected agent does with desired-state answers, with a real hub, the real agent and the real Docker Engine:
// a proxy between them serves tampered, foreign-signed, expired and replayed answers, and each is refused with its
// reason logged, nothing downloaded and the running app untouched; "install now" switches once through a closed window.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runConnected } from '../../src/agent/index.ts';
import { signDesired, type DesiredEnvelope, type DesiredSigned } from '../../src/fleet/index.ts';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import { generateSigningKey, loadTrustDir, signingKeyFromPem, type SigningKey } from '../../src/trust/index.ts';
import { FAST, cleanupApp, forgetImages, page, removeDir, runCli, snapshot, tempDir } from '../helpers/agent.ts';
import { startRewritingProxy, type RewritingProxy } from '../helpers/rewriting-proxy.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';
import { startHub, type Hub } from '../hub/hub-fixture.ts';

const DESIRED = '/api/v1/instances/self/desired';

interface View {
  id: string;
  currentVersion: string | null;
  installNow: boolean;
}

/** A daily window of one hour that starts `hoursFromNow` hours from now (UTC). */
function windowAt(hoursFromNow: number): { days: string[]; start: string; end: string; timeZone: string } {
  const start = new Date(Date.now() + hoursFromNow * 3_600_000);
  const hh = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: hh(start), end: hh(new Date(start.getTime() + 3_600_000)), timeZone: 'UTC' };
}

const envelope = (answer: unknown): DesiredEnvelope => answer as DesiredEnvelope;

describe('desired-state answers', () => {
  let vendor: Vendor;
  let hub: Hub;
  let hubUrl: string;
  let proxy: RewritingProxy;
  let admin: HubClient;
  let work: string;
  let stateDir: string;
  let instanceId: string;
  let timestampKey: SigningKey;
  const digests = new Map<string, string>();
  const logs: string[] = [];

  const agent = (extra: { enrollToken?: string } = {}) => runConnected({ stateDir, hub: proxy.url, once: true, log: (l) => logs.push(l), ...FAST, ...extra });
  const promote = (version: string) => admin.post(`/apps/${vendor.app}/channels/stable/releases`, { version });
  const view = (): Promise<View> => admin.get<View>(`/instances/${instanceId}`);
  const releaseOf = (version: string) => ({ version, digest: digests.get(version) ?? '' });

  before(async () => {
    vendor = await makeVendor('skda');
    work = await tempDir('skiff-desired-answers');
    stateDir = path.join(work, 'state');
    hub = await startHub();
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    hubUrl = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    admin = new HubClient({ hub: hubUrl, token: hub.admin.token });
    await admin.post('/apps', { name: vendor.app, root: await readFile(vendor.rootJson, 'utf8') });
    const pem = await (await loadTrustDir(vendor.trustDir)).timestampKeyPem();
    assert.ok(pem, 'the vendor trust dir holds a timestamp key');
    timestampKey = signingKeyFromPem(pem, 'the timestamp key');
    await admin.request('PUT', `/apps/${vendor.app}/keys/timestamp`, { key: pem });
    const made = [];
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0']) {
      const r = await vendor.createVersion(v, v === '1.4.0' ? { health: 'fail' } : {});
      made.push(r);
      digests.set(v, r.digest);
      await pushRelease({ conn: { hub: hubUrl, token: hub.admin.token }, store: vendor.store, app: vendor.app, version: v });
    }
    await forgetImages(vendor.engine, made.flatMap((r) => Object.values(r.manifest.images).map((i) => i.configDigest)));
    await admin.post('/customers', { name: 'acme', entitlements: [{ app: vendor.app, channel: 'stable' }] });
    proxy = await startRewritingProxy(hubUrl, DESIRED);
  });
  after(async () => {
    await proxy?.close();
    await cleanupApp(vendor.engine, vendor.app);
    await hub.close();
    await vendor.cleanup();
    await removeDir(work);
  });

  /** One cycle with `rewrite` between agent and hub: the refusal is logged, nothing is downloaded, the app is as it was. */
  async function refused(rewrite: (hubAnswer: DesiredEnvelope) => unknown, reason: RegExp, running: string): Promise<void> {
    const before = await snapshot(vendor.engine, vendor.app, stateDir);
    const keptBefore = await readFile(path.join(stateDir, 'connected', 'desired.json'), 'utf8');
    const asked = proxy.requests.length;
    logs.length = 0;
    proxy.rewrite = (a) => rewrite(envelope(a));
    try {
      await agent();
    } finally {
      proxy.rewrite = undefined;
    }
    assert.ok(logs.some((l) => l.startsWith('agent: ') && reason.test(l)), `refusal logged: ${logs.join('\n')}`);
    assert.deepEqual(logs.filter((l) => /status report not sent/.test(l)), [], 'the refusal is reported to the hub');
    assert.ok(proxy.requests.slice(asked).includes(`GET ${DESIRED}`), 'the answer went through the proxy');
    assert.deepEqual(proxy.requests.slice(asked).filter((r) => r.includes('/bundles/')), [], 'nothing downloaded');
    assert.deepEqual(await readdir(path.join(stateDir, 'connected', 'downloads')).catch(() => []), []);
    assert.deepEqual(await snapshot(vendor.engine, vendor.app, stateDir), before, 'containers, volumes, state and trust untouched');
    assert.equal(await readFile(path.join(stateDir, 'connected', 'desired.json'), 'utf8'), keptBefore, 'the answer kept before stays');
    assert.equal(await page(vendor.webPort), `web ${running}`);
  }

  it('installs from the hub’s own answers through the proxy', async () => {
    await promote('1.0.0');
    const { token } = await admin.post<{ token: string }>('/customers/acme/enroll-tokens', { app: vendor.app, uses: 1 });
    logs.length = 0;
    await agent({ enrollToken: token });
    const served = await page(vendor.webPort).catch((e: unknown) => `no page: ${String(e)}`);
    assert.equal(served, 'web 1.0.0', `the agent installed 1.0.0; it logged:\n${logs.join('\n')}`);
    const { instances } = await admin.get<{ instances: View[] }>('/instances');
    instanceId = instances[0]?.id ?? '';
    assert.ok(envelope(proxy.lastAnswer).signed.release, 'the proxy saw the answer');
  });

  it('refuses an answer whose release was changed after signing', async () => {
    const tamper = (change: Partial<NonNullable<DesiredSigned['release']>>) => (a: DesiredEnvelope) => ({ ...a, signed: { ...a.signed, release: { ...a.signed.release, ...change } } });
    await refused(tamper(releaseOf('1.1.0')), /not signed by .*timestamp key/, '1.0.0');
    await refused(tamper({ version: '1.1.0' }), /not signed by .*timestamp key/, '1.0.0');
    await refused(tamper({ digest: releaseOf('1.1.0').digest }), /not signed by .*timestamp key/, '1.0.0');
    await refused((a) => ({ ...a, signed: { ...a.signed, installNow: true } }), /not signed by .*timestamp key/, '1.0.0');
  });

  it('refuses an answer signed by a foreign key, under its own key id or the timestamp key’s', async () => {
    const foreign = generateSigningKey();
    const other = (a: DesiredEnvelope): DesiredSigned => ({ ...a.signed, release: releaseOf('1.1.0') });
    await refused((a) => signDesired(other(a), foreign), /not signed by .*timestamp key/, '1.0.0');
    await refused((a) => {
      const [sig] = signDesired(other(a), foreign).signatures;
      return { signed: other(a), signatures: [{ keyid: timestampKey.keyid, sig: sig?.sig ?? '' }] };
    }, /not signed by .*timestamp key/, '1.0.0');
    await refused((a) => ({ signed: other(a), signatures: [] }), /not signed by .*timestamp key/, '1.0.0');
  });

  it('refuses an expired answer even when the timestamp key signed it; the same answer unexpired is taken', async () => {
    const past = () => new Date(Date.now() - 1000).toISOString();
    await refused((a) => signDesired({ ...a.signed, expires: past() }, timestampKey), /expired at/, '1.0.0');
    await refused((a) => signDesired({ ...a.signed, release: releaseOf('1.1.0'), expires: past() }, timestampKey), /expired at/, '1.0.0');
    logs.length = 0;
    proxy.rewrite = (a) => signDesired({ ...envelope(a).signed, expires: new Date(Date.now() + 60_000).toISOString() }, timestampKey);
    try {
      await agent();
    } finally {
      proxy.rewrite = undefined;
    }
    assert.deepEqual(logs.filter((l) => l.startsWith('agent: ')), [], 'the control, re-signed with a future expiry, is accepted');
    assert.match(await readFile(path.join(stateDir, 'connected', 'desired.json'), 'utf8'), /rewritten-/);
  });

  it('refuses an older answer replayed after a newer one', async () => {
    const older = envelope(proxy.lastAnswer);
    assert.equal(older.signed.release?.version, '1.0.0');
    await promote('1.1.0');
    await agent();
    assert.equal(await page(vendor.webPort), 'web 1.1.0');
    assert.equal(envelope(proxy.lastAnswer).signed.release?.version, '1.1.0');
    await refused(() => older, /a replay, refused/, '1.1.0');
  });

  it('install now switches at the next poll through a closed window, once: the hub clears it when the new version is reported', async () => {
    await admin.request('PATCH', `/customers/acme/apps/${vendor.app}/policy`, { windows: [windowAt(3)] });
    await promote('1.2.0');
    logs.length = 0;
    await agent();
    assert.ok(logs.some((l) => /1\.2\.0 downloaded .*waiting for the maintenance window/.test(l)), logs.join('\n'));
    assert.equal(await page(vendor.webPort), 'web 1.1.0', 'not switched outside the window');

    const cli = await runCli(['instance', 'install-now', instanceId, '--hub', hubUrl, '--token', hub.admin.token]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((await view()).installNow, true);
    await agent();
    assert.equal(await page(vendor.webPort), 'web 1.2.0', 'switched at the next poll');
    const after = await view();
    assert.equal(after.currentVersion, '1.2.0');
    assert.equal(after.installNow, false, 'the hub cleared the flag once 1.2.0 was reported');

    await promote('1.3.0');
    logs.length = 0;
    await agent();
    assert.ok(logs.some((l) => /1\.3\.0 downloaded .*waiting for the maintenance window/.test(l)), logs.join('\n'));
    assert.equal(await page(vendor.webPort), 'web 1.2.0', 'the next release waits for the window again');
  });

  it('install now of a release that fails is tried once: rolled back, reported, the hub clears the request; a new request tries once more', async () => {
    await promote('1.4.0');
    await agent();
    assert.equal(await page(vendor.webPort), 'web 1.2.0', 'waits for the window');
    const installs = () => logs.filter((l) => /^installing .*@1\.4\.0/.test(l)).length;
    for (const round of [1, 2]) {
      logs.length = 0;
      const cli = await runCli(['instance', 'install-now', instanceId, '--hub', hubUrl, '--token', hub.admin.token]);
      assert.equal(cli.code, 0, cli.stderr);
      await agent();
      assert.equal(installs(), 1, `round ${round}: tried once: ${logs.join('\n')}`);
      assert.equal(await page(vendor.webPort), 'web 1.2.0', 'rolled back');
      const v = await view();
      assert.equal(v.installNow, false, 'the hub cleared the request when the failure was reported');
      assert.equal(v.currentVersion, '1.2.0');
      await agent();
      await agent();
      assert.equal(installs(), 1, `round ${round}: not tried again on its own`);
    }
    const audit = await admin.get<{ entries: { action: string; details: { version?: string; reason?: string } }[] }>('/audit?limit=1000');
    const failed = audit.entries.filter((e) => e.action === 'instance.install-now.failed');
    assert.equal(failed.length, 2);
    assert.equal(failed[0]?.details.version, '1.4.0');
    assert.match(failed[0]?.details.reason ?? '', /health/i);
  });
});
