// The hub going away under a connected agent, with a real `skiff hub serve` (SQLite), the real agent and the real Docker
// Engine: killed mid-download, the agent resumes where it stopped once the hub is back (a counting proxy in between
// measures the bytes); unreachable, the app keeps running untouched, the agent backs off and reports the gap when back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { runConnected } from '../../src/agent/index.ts';
import { connect, cycle, type CycleMemo } from '../../src/agent/connected/index.ts';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import { loadTrustDir } from '../../src/trust/index.ts';
import { FAST, cleanupApp, forgetImages, page, removeDir, runCli, snapshot, tempDir } from '../helpers/agent.ts';
import { startCountingProxy, type CountingProxy } from '../helpers/counting-proxy.ts';
import { buildLayeredImage } from '../helpers/engine.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { freeStablePort } from '../helpers/ports.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

const MiB = 1024 * 1024;
const BUNDLE_TYPE = 'application/vnd.skiff.bundle';
/**
 * Random (incompressible) bytes in the web image, so that the download outlasts what the loopback sockets buffer
 * (several MiB each way): a hub killed while the agent has fetched only a little has not sent the rest yet.
 */
const BALLAST = 32 * MiB;
const RATE = 8 * MiB;
/** What one read off the socket hands the download loop at most: what a cut may cost twice. */
const CHUNK = 64 * 1024;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface View {
  id: string;
  currentVersion: string | null;
  lastSeenAt: string | null;
  lastOutage: { since: string; until: string; failedPolls: number } | null;
}

describe('the hub going away under a connected agent', () => {
  let vendor: Vendor;
  let work: string;
  let data: string;
  let stateDir: string;
  let port: number;
  let hub: HubProcess;
  let proxy: CountingProxy;
  let admin: HubClient;
  let adminToken: string;
  let bigWeb: string;
  const logs: string[] = [];

  const startHub = async (): Promise<void> => {
    hub = await startHubProcess({ data, port });
  };
  const killHub = async (): Promise<void> => {
    process.kill(hub.pid, 'SIGKILL');
    await hub.stop();
  };

  before(async () => {
    vendor = await makeVendor('skho');
    work = await tempDir('skiff-hub-outage');
    data = path.join(work, 'hub');
    stateDir = path.join(work, 'state');
    adminToken = (await hubInit({ data })).token;
    port = await freeStablePort();
    await startHub();
    proxy = await startCountingProxy({ host: '127.0.0.1', port });
    admin = new HubClient({ hub: hub.url, token: adminToken });
    await admin.post('/apps', { name: vendor.app, root: await readFile(vendor.rootJson, 'utf8') });
    await admin.request('PUT', `/apps/${vendor.app}/keys/timestamp`, { key: await (await loadTrustDir(vendor.trustDir)).timestampKeyPem() });
    await vendor.composeFor('1.0.0');
    bigWeb = `${vendor.webImage('1.0.0')}-ballast`;
    await buildLayeredImage(vendor.engine, bigWeb, vendor.webImage('1.0.0'), { '/opt/ballast': randomBytes(BALLAST) });
    const release = await vendor.createVersion('1.0.0', {
      edit: (doc) => {
        if (doc.services.web) doc.services.web.image = bigWeb;
      },
    });
    await pushRelease({ conn: { hub: hub.url, token: adminToken }, store: vendor.store, app: vendor.app, version: '1.0.0' });
    await forgetImages(vendor.engine, Object.values(release.manifest.images).map((i) => i.configDigest));
    await admin.post('/customers', { name: 'acme', entitlements: [{ app: vendor.app, channel: 'stable' }] });
    await admin.post(`/apps/${vendor.app}/channels/stable/releases`, { version: '1.0.0' });
  });
  after(async () => {
    await proxy?.close();
    await hub?.stop();
    await cleanupApp(vendor.engine, vendor.app);
    await vendor.engine.imageRemove(bigWeb, { force: true }).catch(() => undefined);
    await vendor.cleanup();
    await removeDir(work);
  });

  it('killed mid-download, the hub comes back and the agent resumes where it stopped: bytes in all ≤ bundle + one chunk', async (t) => {
    const head = await request(`${hub.url}/api/v1/bundles/${vendor.app}/1.0.0`, { method: 'HEAD', headers: { authorization: `Bearer ${adminToken}` } });
    await head.body.dump();
    const size = Number(head.headers['content-length']);
    assert.ok(size > BALLAST, `the bundle carries the ballast (${size} bytes)`);
    const { token } = await admin.post<{ token: string }>('/customers/acme/enroll-tokens', { app: vendor.app, uses: 1 });

    const stop = new AbortController();
    const agent = runConnected({ stateDir, hub: proxy.url, enrollToken: token, signal: stop.signal, log: (l) => logs.push(l), bytesPerSecond: RATE, ...FAST });
    try {
      const part = path.join(stateDir, 'connected', 'downloads', `${vendor.app}-1.0.0.skiff.part`);
      const cutAt = await until('the download to start', () => stat(part).then((s) => (s.size >= MiB ? s.size : undefined), () => undefined), 120_000);
      await killHub();
      const sentBeforeKill = proxy.responses.find((r) => r.contentType === BUNDLE_TYPE)?.bodyBytes;
      const afterKill = (await stat(part)).size;
      assert.ok(afterKill < size, 'the kill cut the download');
      await startHub();
      const installed = async () => ((await admin.get<{ instances: View[] }>('/instances')).instances[0]?.currentVersion === '1.0.0' ? true : undefined);
      await until('the agent to report 1.0.0 installed', installed, 180_000);
      t.diagnostic(`bundle ${size} bytes; at the kill the part file held ${cutAt} and the hub had sent ${sentBeforeKill}; the part file held ${afterKill} after it`);
    } finally {
      stop.abort();
      await agent;
    }

    assert.equal(proxy.uncounted, 0, 'every answer had a Content-Length');
    const bundles = proxy.responses.filter((r) => r.contentType === BUNDLE_TYPE);
    const [first, ...resumed] = bundles;
    assert.equal(first?.status, 200);
    assert.ok((first?.bodyBytes ?? 0) < size, 'the first answer was cut off');
    assert.ok(resumed.length > 0 && resumed.every((r) => r.status === 206), `resumed with ranges: ${JSON.stringify(bundles)}`);
    const from = Number(/^bytes (\d+)-/.exec(resumed[0]?.contentRange ?? '')?.[1]);
    assert.ok(from > 0, `the first resume starts past the start (${resumed[0]?.contentRange})`);
    const fetched = bundles.reduce((a, r) => a + r.bodyBytes, 0);
    t.diagnostic(`bundle bytes over the wire in all: ${fetched} in ${bundles.length} answers (${fetched - size} more than the bundle); the first resume started at ${from}`);
    assert.ok(fetched >= size && fetched <= size + CHUNK, `fetched ${fetched} bytes for a ${size}-byte bundle`);
    assert.equal(await page(vendor.webPort), 'web 1.0.0');
  });

  it('unreachable, the app keeps running untouched; the agent backs off and, when the hub is back, reports the gap', async () => {
    const opts = { stateDir, log: (l: string) => logs.push(l), ...FAST };
    const id = await connect(opts);
    const memo: CycleMemo = { lastError: null, lastReport: Date.now(), failures: 0 };
    await cycle(id, opts, memo);
    const seenBefore = (await admin.get<View>(`/instances/${id.instanceId}`)).lastSeenAt;
    const untouched = await snapshot(vendor.engine, vendor.app, stateDir);

    await killHub();
    logs.length = 0;
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) delays.push(await cycle(id, opts, memo));
    // Jittered ±50 % around 1 s, 2 s, 4 s, 8 s: every delay is above the one two polls before, whatever the jitter.
    const [d1 = 0, d2 = 0, d3 = 0, d4 = 0] = delays;
    assert.ok(d3 > d1 && d4 > d2 && d1 >= 500, `the delays grow from about a second: ${delays.join(', ')}`);
    assert.ok(logs.some((l) => /hub unreachable \(4\).*the app keeps running/.test(l)), logs.join('\n'));
    assert.deepEqual(await snapshot(vendor.engine, vendor.app, stateDir), untouched, 'containers, volumes, state untouched');
    assert.equal(await page(vendor.webPort), 'web 1.0.0');

    await startHub();
    const back = Date.now();
    logs.length = 0;
    await cycle(id, opts, memo);
    assert.ok(logs.some((l) => /hub reachable again after 4 failed poll\(s\)/.test(l)), logs.join('\n'));
    assert.deepEqual(logs.filter((l) => /status report not sent/.test(l)), []);
    const inst = await admin.get<View>(`/instances/${id.instanceId}`);
    assert.ok(inst.lastSeenAt && Date.parse(inst.lastSeenAt) >= back, `last seen ${inst.lastSeenAt} (before the outage: ${seenBefore}), back at ${new Date(back).toISOString()}`);
    assert.equal(inst.lastOutage?.failedPolls, 4);
    assert.ok(inst.lastOutage && Date.parse(inst.lastOutage.since) < back && Date.parse(inst.lastOutage.until) >= back, JSON.stringify(inst.lastOutage));
    const cli = await runCli(['instance', 'show', id.instanceId, '--hub', hub.url, '--token', adminToken]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /last outage: the hub was out of reach from \S+ to \S+ \(4 failed polls\)/);
    assert.match(cli.stdout, /offline +\{"since":/, 'the gap is in the history');
    const bad = await request(`${hub.url}/api/v1/instances/self/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${id.credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentVersion: '1.0.0', health: 'healthy', lastOutage: { since: 'yesterday', until: inst.lastOutage.until, failedPolls: 0 } }),
    });
    assert.equal(bad.statusCode, 400, await bad.body.text());
    assert.deepEqual((await admin.get<View>(`/instances/${id.instanceId}`)).lastOutage, inst.lastOutage, 'a malformed gap changes nothing');
    assert.equal(await page(vendor.webPort), 'web 1.0.0');
  });
});
