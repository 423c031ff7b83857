// Connected sites end to end, with a real hub, the real agent and the real Docker Engine: enroll with a token, follow
// the channel (install, upgrade), a failing release rolls back and `skiff fleet` shows why, a closed maintenance
// window downloads but does not switch, a revoked instance gets 401 and its app keeps running.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { runConnected } from '../../src/agent/index.ts';
import type { HubClient } from '../../src/hub-client/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, forgetImages, page, runCli } from '../helpers/agent.ts';
import { startAgentHub, type AgentHub } from '../helpers/agent-hub.ts';
import type { Vendor } from '../helpers/vendor.ts';
import type { Hub } from '../hub/hub-fixture.ts';

interface View {
  id: string;
  currentVersion: string | null;
  desiredVersion: string | null;
  health: string | null;
  lastError: string | null;
  revokedAt: string | null;
}

/** A daily window of one hour that starts `hoursFromNow` hours from now (UTC). */
function windowAt(hoursFromNow: number): { days: string[]; start: string; end: string; timeZone: string } {
  const start = new Date(Date.now() + hoursFromNow * 3_600_000);
  const hh = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: hh(start), end: hh(new Date(start.getTime() + 3_600_000)), timeZone: 'UTC' };
}

describe('connected sites', () => {
  let vendor: Vendor;
  let hub: Hub;
  let url: string;
  let admin: HubClient;
  let work: string;
  let stateDir: string;
  let instanceId: string;
  const logs: string[] = [];
  let site: AgentHub;

  const agent = (extra: { enrollToken?: string } = {}) =>
    runConnected({ stateDir, hub: url, once: true, log: (l) => logs.push(l), ...FAST, ...extra });
  const fleet = async (): Promise<View[]> => (await admin.get<{ instances: View[] }>('/instances')).instances;
  const promote = (version: string) => admin.post(`/apps/${vendor.app}/channels/stable/releases`, { version });

  before(async () => {
    site = await startAgentHub({ prefix: 'skfl', workPrefix: 'skiff-connected', connected: true });
    ({ vendor, hub, url, admin, work, state: stateDir } = site);
    const made = [];
    for (const [v, health] of [['1.0.0', 'ok'], ['1.1.0', 'ok'], ['1.2.0', 'fail'], ['1.3.0', 'ok']] as const) made.push(await site.release(v, { health }));
    // The agent pulls every image from its loopback registry, as on a customer host.
    await forgetImages(vendor.engine, made.flatMap((r) => Object.values(r.manifest.images).map((i) => i.configDigest)));
    await site.customer('acme');
  });
  after(async () => {
    await site?.close();
  });

  it('enrolls with a token naming the root, and installs the channel’s release', async () => {
    await promote('1.0.0');
    const { token } = await admin.post<{ token: string }>('/customers/acme/enroll-tokens', { app: vendor.app, uses: 1 });
    const forged = token.replace(/\.[a-f0-9]{64}$/, `.${'0'.repeat(64)}`);
    await assert.rejects(runConnected({ stateDir: path.join(work, 'forged'), hub: url, enrollToken: forged, once: true }), (e) => isSkiffError(e, "TRUST_INVALID") && /another root.json v1/.test(e.message));
    await agent({ enrollToken: token });
    assert.equal(await page(vendor.webPort), 'web 1.0.0');
    const [inst] = await fleet();
    assert.ok(inst);
    instanceId = inst.id;
    assert.equal(inst.currentVersion, '1.0.0');
    assert.equal(inst.health, 'healthy');
    await assert.rejects(runConnected({ stateDir: path.join(work, 'second'), hub: url, enrollToken: token, once: true }), (e) => isSkiffError(e, 'UNAUTHORIZED') && /used up/.test(e.message), 'one use only');
  });

  it('an unchanged desired state is a 304 without a body', async () => {
    const credential = JSON.parse(await readFile(path.join(stateDir, 'connected', 'identity.json'), 'utf8')) as { credential: string };
    const first = await request(`${url}/api/v1/instances/self/desired`, { headers: { authorization: `Bearer ${credential.credential}` } });
    await first.body.dump();
    assert.equal(first.statusCode, 200);
    const again = await request(`${url}/api/v1/instances/self/desired`, { headers: { authorization: `Bearer ${credential.credential}`, 'if-none-match': String(first.headers.etag) } });
    assert.equal(again.statusCode, 304);
    assert.equal((await again.body.text()).length, 0);
  });

  it('follows a promotion; a failing release rolls back by itself and skiff fleet shows the reason', async () => {
    await promote('1.1.0');
    await agent();
    assert.equal(await page(vendor.webPort), 'web 1.1.0');
    await promote('1.2.0');
    await agent();
    assert.equal(await page(vendor.webPort), 'web 1.1.0', 'rolled back');
    const [inst] = await fleet();
    assert.equal(inst?.currentVersion, '1.1.0');
    assert.equal(inst?.desiredVersion, '1.2.0');
    assert.match(inst?.lastError ?? '', /web/);
    const cli = await runCli(['fleet', '--hub', url, '--token', hub.admin.token]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /acme .* 1\.1\.0 +1\.2\.0 +healthy .*web/);
    await agent();
    assert.equal(logs.filter((l) => /installing .*@1\.2\.0/.test(l)).length, 1, 'a failed release is not retried by itself');
  });

  it('a closed maintenance window downloads but does not switch; an open one switches', async () => {
    await admin.request('PATCH', `/customers/acme/apps/${vendor.app}/policy`, { windows: [windowAt(3)] });
    await promote('1.3.0');
    await agent();
    assert.equal(await page(vendor.webPort), 'web 1.1.0', 'not switched outside the window');
    assert.ok((await readdir(path.join(stateDir, 'connected', 'downloads'))).some((f) => f.endsWith('1.3.0.skiff')), 'downloaded');
    await admin.request('PATCH', `/customers/acme/apps/${vendor.app}/policy`, { windows: [windowAt(-0.5)] });
    await agent();
    assert.equal(await page(vendor.webPort), 'web 1.3.0');
    assert.equal((await fleet())[0]?.currentVersion, '1.3.0');
  });

  it('a revoked instance gets 401 and nothing else; its app keeps running', async () => {
    await admin.post(`/instances/${instanceId}/revoke`, {});
    logs.length = 0;
    await agent();
    assert.ok(logs.some((l) => /token is unknown, revoked or expired/.test(l)), logs.join('\n'));
    assert.equal(await page(vendor.webPort), 'web 1.3.0');
    const [inst] = await fleet();
    assert.ok(inst?.revokedAt);
  });
});
