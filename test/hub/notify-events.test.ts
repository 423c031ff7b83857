// Notifications end to end from a real `skiff hub serve`: e-mail to an opted-in customer's contacts at a real SMTP
// server (and retried while that server is down), customer endpoints only after the customer's opt-in, instance.failed
// from a status report, instance.silent once per silence, all driven through the CLI where it has commands.
import assert from 'node:assert/strict';
import { request } from 'undici';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { customerCommand } from '../../src/cli/customer.ts';
import { webhookCommand } from '../../src/cli/webhook.ts';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import { verifyWebhook } from '../../src/hub/notify/index.ts';
import { enrollInstance, reportVersion } from '../helpers/checkin.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { freePort } from '../helpers/ports.ts';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { runCommand } from './hub-fixture.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';

const SILENT_MINUTES = 0.05; // 3 s

describe('notifications from a real hub', () => {
  let data: string;
  let token: string;
  let vendor: SyntheticVendor;
  let hub: HubProcess;
  let smtp: SmtpServer;
  let smtpPort: number;
  let client: HubClient;
  const receivers: WebhookReceiver[] = [];
  let h: string[];

  const cli = async (make: typeof customerCommand, args: string[]): Promise<string> => {
    const { out, code } = await runCommand(make, [...args, ...h]);
    assert.equal(code, 0, `skiff ${args.join(' ')} failed: ${out}`);
    return out;
  };
  const receiver = async (): Promise<WebhookReceiver> => {
    const r = await startWebhookReceiver();
    receivers.push(r);
    return r;
  };
  const addHook = async (url: string, ...flags: string[]): Promise<{ id: string; secret: string }> => {
    const out = await cli(webhookCommand, ['add', url, ...flags]);
    const id = /webhook (\S+) →/.exec(out)?.[1];
    const secret = /secret \(shown once\): (\S+)/.exec(out)?.[1];
    assert.ok(id && secret, out);
    return { id, secret };
  };
  const publish = async (version: string, channel = 'stable'): Promise<void> => {
    await vendor.release(version, { webLayerSize: 512, changelog: `Faster sync in ${version}.\nFixed the login bug.\n` });
    await pushRelease({ conn: { hub: hub.url, token }, store: vendor.store, app: vendor.app, version });
    await client.post(`/apps/${vendor.app}/channels/${channel}/releases`, { version });
  };

  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'skiff-notify-ev-'));
    token = (await hubInit({ data })).token;
    vendor = await makeSyntheticVendor({ baseLayerSize: 512 });
    smtpPort = await freePort();
    smtp = await startSmtpServer(smtpPort);
    hub = await startHubProcess({
      data,
      args: ['--smtp', `smtp://127.0.0.1:${smtpPort}`, '--mail-from', 'releases@vendor.test', '--notify-retry', '200', '--notify-timeout', '2000', '--silent-after', String(SILENT_MINUTES)],
    });
    client = new HubClient({ hub: hub.url, token });
    h = ['--hub', hub.url, '--token', token];
    await client.post('/apps', { name: vendor.app, root: vendor.rootJson });
    for (const [name, channel] of [['acme', 'stable'], ['globex', 'stable'], ['initech', 'beta']] as const)
      await client.post('/customers', { name, entitlements: [{ app: vendor.app, channel }] });
  });
  after(async () => {
    await hub?.stop();
    await smtp?.stop();
    for (const r of receivers) await r.close();
    await vendor?.cleanup();
    await rm(data, { recursive: true, force: true });
  });

  it('e-mails the contacts of opted-in customers on the channel, and a customer endpoint only after its opt-in', async () => {
    assert.match(await cli(customerCommand, ['notify', 'acme', '--email', 'on', '--webhooks', 'on', '--contact', 'ops@acme.test', '--contact', 'cto@acme.test']), /"email": true/);
    await cli(customerCommand, ['notify', 'initech', '--email', 'on', '--contact', 'it@initech.test']);
    assert.equal((await runCommand(customerCommand, ['notify', 'globex', '--email', 'on', ...h])).code, 1, 'e-mail on without contacts is refused');
    assert.match(await cli(customerCommand, ['notify', 'globex']), /"email": false/, 'and changes nothing');
    const acmeHook = await receiver();
    const globexHook = await receiver();
    await addHook(acmeHook.url, '--customer', 'acme', '--event', 'release.published');
    await addHook(globexHook.url, '--customer', 'globex');

    await publish('1.0.0');
    const mails = await smtp.waitFor(2);
    assert.deepEqual(mails.map((m) => m.headers.to).sort(), ['cto@acme.test', 'ops@acme.test']);
    for (const m of mails) {
      assert.equal(m.headers.from, 'releases@vendor.test');
      assert.match(String(m.headers.subject), new RegExp(`${vendor.app} 1\\.0\\.0 is available on your channel stable`));
      assert.match(m.body, /Faster sync in 1\.0\.0\.\nFixed the login bug\./);
    }
    const [event] = await acmeHook.waitFor(1);
    assert.equal((JSON.parse(event!.body) as { type: string }).type, 'release.published');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(smtp.messages.length, 2, 'no mail to globex (not opted in) nor initech (another channel)');
    assert.equal(globexHook.received.length, 0, "globex's endpoint gets nothing: globex did not opt in");
  });

  it('retries e-mail while the SMTP server is down and delivers it when it is back', async () => {
    await smtp.stop();
    await publish('1.0.1');
    await new Promise((r) => setTimeout(r, 2_000));
    smtp = await startSmtpServer(smtpPort);
    const mails = await smtp.waitFor(2);
    assert.ok(mails.every((m) => /1\.0\.1/.test(String(m.headers.subject))));
  });

  it('tells instance.failed from a status report, and instance.silent once per silence', async () => {
    const r = await receiver();
    const hook = await addHook(r.url, '--event', 'instance.failed', '--event', 'instance.silent');
    const enrollToken = (await client.post<{ token: string }>('/customers/acme/enroll-tokens', { app: vendor.app })).token;
    const gw = await enrollInstance(hub.url, enrollToken, 'gw-1');
    await reportVersion(hub.url, gw.credential, '1.0.0');
    const failedRelease = { version: '1.0.1', at: new Date().toISOString(), reason: 'health check failed: web exited 1' };
    const report = (body: unknown) => request(`${hub.url}/api/v1/instances/self/status`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.credential}` }, body: JSON.stringify(body) }).then((x) => x.body.text());
    await report({ currentVersion: '1.0.0', health: 'healthy', failedRelease });
    await report({ currentVersion: '1.0.0', health: 'healthy', failedRelease });
    const [failed] = await r.waitFor(1);
    assert.equal(verifyWebhook(hook.secret, { signature: String(failed!.headers['skiff-signature']), timestamp: String(failed!.headers['skiff-timestamp']) }, failed!.body), null);
    const f = JSON.parse(failed!.body) as { type: string; data: { instance: { id: string; customer: string }; release: typeof failedRelease } };
    assert.equal(f.type, 'instance.failed');
    assert.deepEqual(f.data.release, failedRelease);
    assert.equal(f.data.instance.customer, 'acme');

    const silent = await r.waitFor(2, 20_000);
    const s = JSON.parse(silent[1]!.body) as { type: string; data: { instance: { id: string }; lastSeenAt: string } };
    assert.equal(s.type, 'instance.silent');
    assert.equal(s.data.instance.id, gw.id);
    await new Promise((res) => setTimeout(res, 4_000));
    assert.equal(r.received.filter((x) => x.body.includes('instance.silent')).length, 1, `one event per silence: ${r.received.map((x) => x.body).join('\n')}`);
    assert.equal(r.received.filter((x) => x.body.includes('instance.failed')).length, 1, 'the same failure reported twice is told once');
    await reportVersion(hub.url, gw.credential, '1.0.0');
    await r.waitFor(3, 20_000);
    assert.match(r.received[2]!.body, /instance\.silent/, 'seen again, then silent again: told again');

    const log = await cli(webhookCommand, ['deliveries', hook.id]);
    assert.match(log, /instance\.silent\tdelivered\t1 attempt/);
    assert.match(await cli(webhookCommand, ['list']), new RegExp(`${hook.id}\\t${r.url.replace(/[.]/g, '\\.')}`));
    assert.ok(!(await cli(webhookCommand, ['list', '--json'])).includes(hook.secret));
    const deliveryId = /^(\S+)\tinstance\.failed/m.exec(log)?.[1];
    assert.ok(deliveryId, log);
    assert.match(await cli(webhookCommand, ['redeliver', deliveryId]), /queued again/);
    await r.waitFor(4);
    assert.notEqual((await runCommand(webhookCommand, ['redeliver', 'nope', ...h])).code, 0, 'a malformed id is refused before any call');
    await cli(webhookCommand, ['remove', hook.id]);
  });

  it('skiff customer notes shows exactly the notes between what runs and what is offered', async () => {
    const out = await cli(customerCommand, ['notes', 'acme', '--app', vendor.app]);
    assert.match(out, /1\.0\.0 → 1\.0\.1/);
    assert.match(out, /## 1\.0\.1\nFaster sync in 1\.0\.1\./);
    assert.doesNotMatch(out, /## 1\.0\.0/);
    const json = JSON.parse(await cli(customerCommand, ['notes', 'acme', '--app', vendor.app, '--from', '0.9.0', '--json'])) as { notes: { version: string }[] };
    assert.deepEqual(json.notes.map((n) => n.version), ['1.0.0', '1.0.1']);
  });
});
