// Webhooks from a real `skiff hub serve` to real HTTP receivers: signed and verifiable, retried after a 500 and after
// a closed port until they land, never lost across a hub killed with deliveries pending, and never slowing an API call.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import { verifyWebhook } from '../../src/hub/notify/index.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { freePort } from '../helpers/ports.ts';
import { startWebhookReceiver, type Received, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';

const FLAGS = ['--notify-retry', '200', '--notify-timeout', '1500'];

interface Delivery {
  id: string;
  state: string;
  attempts: number;
  log: { status: number | null; durationMs: number; error: string | null }[];
}

describe('webhooks from a real hub', () => {
  let data: string;
  let token: string;
  let vendor: SyntheticVendor;
  let hub: HubProcess | undefined;
  const receivers: WebhookReceiver[] = [];
  let client: HubClient;
  let versions = 0;

  const start = async (): Promise<void> => {
    hub = await startHubProcess({ data, args: FLAGS });
    client = new HubClient({ hub: hub.url, token });
  };
  const receiver = async (port?: number): Promise<WebhookReceiver> => {
    const r = await startWebhookReceiver(port);
    receivers.push(r);
    return r;
  };
  const addHook = (url: string) => client.post<{ id: string; secret: string }>('/webhooks', { url, events: ['release.published'] });
  /** Pushes and promotes a new release; returns its version and how long the promote call took. */
  const publish = async (): Promise<{ version: string; ms: number }> => {
    const version = `1.0.${versions++}`;
    await vendor.release(version, { webLayerSize: 1024, changelog: `Fixes in ${version}.\n` });
    await pushRelease({ conn: { hub: hub!.url, token }, store: vendor.store, app: vendor.app, version });
    const t0 = performance.now();
    await client.post(`/apps/${vendor.app}/channels/stable/releases`, { version });
    return { version, ms: performance.now() - t0 };
  };
  const deliveries = (hook: string) => client.get<{ deliveries: Delivery[] }>(`/webhooks/${hook}/deliveries`).then((d) => d.deliveries);
  const versionOf = (r: Received): string => (JSON.parse(r.body) as { data: { version: string } }).data.version;

  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'skiff-notify-'));
    token = (await hubInit({ data })).token;
    vendor = await makeSyntheticVendor({ baseLayerSize: 1024 });
    await start();
    await client.post('/apps', { name: vendor.app, root: vendor.rootJson });
  });
  after(async () => {
    await hub?.stop();
    for (const r of receivers) await r.close();
    await vendor.cleanup();
    await rm(data, { recursive: true, force: true });
  });

  it('arrives signed over timestamp.body; the receiver verifies it and a changed body or an old timestamp fails', async () => {
    const r = await receiver();
    const hook = await addHook(r.url);
    assert.match(hook.secret, /^whsec_/);
    const { version } = await publish();
    const [got] = await r.waitFor(1);
    assert.ok(got);
    const headers = { signature: String(got.headers['skiff-signature']), timestamp: String(got.headers['skiff-timestamp']) };
    assert.equal(verifyWebhook(hook.secret, headers, got.body), null);
    const body = JSON.parse(got.body) as { type: string; data: Record<string, unknown> };
    assert.equal(body.type, 'release.published');
    assert.deepEqual(body.data, { app: vendor.app, channel: 'stable', version, required: false });
    assert.equal(got.headers['skiff-event'], 'release.published');
    assert.match(String(verifyWebhook(hook.secret, headers, got.body.replace(version, '9.9.9'))), /does not match/);
    assert.match(String(verifyWebhook(hook.secret, headers, got.body, Date.now() + 6 * 60_000)), /replay/);
    assert.match(String(verifyWebhook('whsec_other', headers, got.body)), /does not match/);
    const listed = JSON.stringify(await client.get('/webhooks'));
    assert.ok(!listed.includes(hook.secret), 'the list never shows a secret');
    assert.match(hub!.output() + listed, /./);
    assert.ok(!hub!.output().includes(hook.secret), 'the hub never logs a secret');
    await client.request('DELETE', `/webhooks/${hook.id}`);
  });

  it('is retried after 500s and after a closed port, and the delivery log shows every attempt', async () => {
    const failing = await receiver();
    failing.script([500, 500]);
    const port = await freePort();
    const hookA = await addHook(failing.url);
    const hookB = await addHook(`http://127.0.0.1:${port}/hook`);
    const { version } = await publish();
    const [got] = await failing.waitFor(1);
    assert.equal(versionOf(got!), version);
    assert.equal(failing.received.length, 3, 'two refusals, then the delivery');
    const [logA] = await deliveries(hookA.id);
    assert.equal(logA?.state, 'delivered');
    assert.deepEqual(logA?.log.map((a) => a.status), [500, 500, 204]);
    assert.match(String(logA?.log[0]?.error), /500/);

    await waitUntil(async () => ((await deliveries(hookB.id))[0]?.attempts ?? 0) >= 2, 'two failed attempts on the closed port');
    const [failedB] = await deliveries(hookB.id);
    assert.equal(failedB?.state, 'pending');
    assert.match(String(failedB?.log[0]?.error), /ECONNREFUSED/);
    const late = await receiver(port);
    const [landed] = await late.waitFor(1);
    assert.equal(versionOf(landed!), version, 'the delivery lands once the receiver listens');
    await waitUntil(async () => (await deliveries(hookB.id))[0]?.state === 'delivered', 'delivery B recorded as delivered');
    for (const h of [hookA, hookB]) await client.request('DELETE', `/webhooks/${h.id}`);
  });

  it('survives a hub killed with deliveries pending: the restarted hub delivers them', async () => {
    const port = await freePort();
    const hook = await addHook(`http://127.0.0.1:${port}/hook`);
    const { version } = await publish();
    process.kill(hub!.pid, 'SIGKILL');
    await hub!.stop();
    const r = await receiver(port);
    await start();
    const [got] = await r.waitFor(1);
    assert.equal(versionOf(got!), version);
    await client.request('DELETE', `/webhooks/${hook.id}`);
  });

  it('never slows an API call: a receiver that takes seconds does not delay the promote, and a redelivery by hand is sent again', async () => {
    const slow = await receiver();
    slow.delayMs = 5_000;
    const hook = await addHook(slow.url);
    const { ms } = await publish();
    assert.ok(ms < 1_000, `the promote took ${Math.round(ms)} ms with a receiver that answers after 5 s`);
    const t0 = performance.now();
    await client.get('/webhooks');
    assert.ok(performance.now() - t0 < 1_000, 'other calls stay fast while the receiver stalls');
    await waitUntil(async () => ((await deliveries(hook.id))[0]?.log.length ?? 0) >= 1, 'the slow attempt is recorded');
    const [timedOut] = await deliveries(hook.id);
    assert.match(String(timedOut?.log[0]?.error), /timed out/);
    slow.delayMs = 0;
    const [got] = await slow.waitFor(1);
    assert.ok(got);
    await waitUntil(async () => (await deliveries(hook.id))[0]?.state === 'delivered', 'delivered after the receiver recovers');
    const [done] = await deliveries(hook.id);
    await client.post(`/deliveries/${done!.id}/redeliver`);
    await slow.waitFor(2);
    const missing = await client.post(`/deliveries/00000000-0000-4000-8000-000000000000/redeliver`).catch((e: Error) => e.message);
    assert.match(String(missing), /not found/);
    await client.request('DELETE', `/webhooks/${hook.id}`);
  });

  it('refuses a URL that is not http(s), and one with a password in it, changing nothing', async () => {
    for (const url of ['ftp://127.0.0.1/x', 'file:///etc/passwd', 'not a url', 'http://user:pw@127.0.0.1/x']) {
      const e = (await client.post('/webhooks', { url }).catch((err: unknown) => err)) as Error & { code?: string };
      assert.match(e.message, /webhook URL/, url);
    }
    assert.deepEqual((await client.get<{ webhooks: unknown[] }>('/webhooks')).webhooks.length, 0);
  });
});

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
