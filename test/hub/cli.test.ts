// The hub CLI end to end through its command factories: init, a listening hub (HTTP and HTTPS), app, channel, customer, audit verify.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { appCommand } from '../../src/cli/app.ts';
import { channelCommand } from '../../src/cli/channel.ts';
import { customerCommand } from '../../src/cli/customer.ts';
import { HubClient } from '../../src/hub-client/index.ts';
import { hubCommand } from '../../src/cli/hub.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import { startHubServer, type RunningHub } from '../../src/hub/server.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { bytes, digestOf, makeRoot, runCommand as run, seed } from './hub-fixture.ts';


describe('hub CLI', () => {
  let dir: string;
  let hub: RunningHub;
  let token: string;
  let trust: { dir: string; root: string };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-hubcli-'));
    trust = await makeRoot();
    await writeFile(join(dir, 'root.json'), trust.root);
  });
  after(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(trust.dir, { recursive: true, force: true });
  });

  it('hub init prints a one-time password and token, and refuses a second init', async () => {
    const { out, code } = await run(hubCommand, ['init', '--data', join(dir, 'data')]);
    assert.equal(code, 0);
    token = /admin API token: (skh_\S+)/.exec(out)?.[1] ?? '';
    assert.match(token, /^skh_/);
    assert.match(out, /admin password: +\S{20,}/);
    assert.equal((await run(hubCommand, ['init', '--data', join(dir, 'data')])).code, 1);
  });

  it('serves on a free port and the CLI drives it', async () => {
    hub = await startHubServer({ dataDir: join(dir, 'data'), listen: '127.0.0.1:0' });
    const h = ['--hub', hub.url, '--token', token];
    assert.equal((await run(appCommand, ['create', 'netmon', '--root', join(dir, 'root.json'), ...h])).code, 0);
    assert.match((await run(appCommand, ['list', ...h])).out, /^netmon\t/);

    const created = await run(customerCommand, ['create', 'acme', '--entitle', 'netmon:stable', '--expires', '2099-01-01', '--airgapped', ...h]);
    assert.equal(created.code, 0);
    assert.match(created.out, /acme\tair-gapped\tnetmon:stable \(until 2099-01-01T00:00:00.000Z\)/);
    const customerToken = /customer token: (skc_\S+)/.exec(created.out)?.[1];
    assert.ok(customerToken);
    const listed = JSON.parse((await run(customerCommand, ['list', '--json', ...h])).out) as { name: string }[];
    assert.deepEqual(listed.map((c) => c.name), ['acme']);
    assert.match((await run(customerCommand, ['show', 'acme', ...h])).out, /^acme\t/);

    const db = await openMetadataDb({ dataDir: join(dir, 'data') });
    await seed(db, (tx) => tx.putRelease({ app: 'netmon', version: '1.0.0', digest: digestOf('a'), manifest: bytes('m'), signature: bytes('s') }));
    await db.close();
    const promoted = await run(channelCommand, ['promote', 'netmon@1.0.0', 'stable', '--required', ...h]);
    assert.equal(promoted.out, 'stable: 1.0.0 (required)\n');
    assert.equal((await run(channelCommand, ['list', 'netmon', '--hub', hub.url, '--token', customerToken])).out, 'stable: 1.0.0 (required)\n');
    assert.equal((await run(channelCommand, ['demote', 'netmon@1.0.0', 'stable', ...h])).out, 'stable: (empty)\n');
  });

  it('turns hub errors into one-line SkiffErrors with the hub code', async () => {
    const client = new HubClient({ hub: hub.url, token });
    await assert.rejects(client.get('/apps/ghost'), (e) => isSkiffError(e, 'NOT_FOUND') && /^hub: app "ghost" not found$/.test(e.message));
    const bad = new HubClient({ hub: hub.url, token: 'skh_nope' });
    await assert.rejects(bad.get('/apps'), (e) => isSkiffError(e, 'UNAUTHORIZED'));
    const down = new HubClient({ hub: 'http://127.0.0.1:1', token });
    await assert.rejects(down.get('/apps'), (e) => isSkiffError(e, 'HUB_UNREACHABLE') && /cannot reach the hub/.test(e.message));
    assert.equal((await run(channelCommand, ['promote', 'netmon', 'stable', '--hub', hub.url, '--token', token])).code, 2);
    const saved = process.env.SKIFF_TOKEN;
    delete process.env.SKIFF_TOKEN;
    assert.equal((await run(appCommand, ['list', '--hub', hub.url])).code, 2);
    process.env.SKIFF_TOKEN = token;
    assert.equal((await run(appCommand, ['list', '--hub', hub.url])).code, 0);
    if (saved === undefined) delete process.env.SKIFF_TOKEN;
    else process.env.SKIFF_TOKEN = saved;
  });

  it('hub audit verify reports an intact chain', async () => {
    const { out, code } = await run(hubCommand, ['audit', 'verify', '--data', join(dir, 'data')]);
    assert.equal(code, 0);
    assert.match(out, /audit log intact: \d+ entries/);
  });

  it('serves HTTPS with --tls-cert/--tls-key and refuses half a TLS config', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert]);
    const tls = await startHubServer({ dataDir: join(dir, 'data'), listen: '127.0.0.1:0', tlsCert: cert, tlsKey: key });
    try {
      assert.match(tls.url, /^https:\/\//);
      const res = await fetch(`${tls.url}/api/v1/whoami`, {
        headers: { authorization: `Bearer ${token}` },
        dispatcher: new Agent({ connect: { rejectUnauthorized: false } }),
      });
      assert.equal(res.status, 200);
    } finally {
      await tls.close();
    }
    await assert.rejects(startHubServer({ dataDir: join(dir, 'data'), listen: '127.0.0.1:0', tlsCert: cert }), (e) => isSkiffError(e, 'USAGE'));
    await assert.rejects(startHubServer({ dataDir: join(dir, 'data'), listen: 'nowhere' }), (e) => isSkiffError(e, 'USAGE'));
  });
});
