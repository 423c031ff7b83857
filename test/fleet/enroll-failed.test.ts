// A failed `skiff agent run --enroll-token …` (through the real CLI) leaves nothing behind: no state directory, not
// even its parents, and nothing new in a directory that was there before; one `skiff:` line names the reason.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runConnected } from '../../src/agent/index.ts';
import { HubClient } from '../../src/hub-client/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST_FLAGS, removeDir, runCli, tempDir } from '../helpers/agent.ts';
import { freePort } from '../helpers/ports.ts';
import { makeRoot, startHub, type Hub } from '../hub/hub-fixture.ts';

describe('a failed enrollment', () => {
  let hub: Hub;
  let otherHub: Hub;
  let work: string;
  let trustDir: string;
  const urlOf = (h: Hub): string => `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;

  before(async () => {
    work = await tempDir('skiff-enroll-failed');
    [hub, otherHub] = await Promise.all([startHub(), startHub()]);
    await Promise.all([hub, otherHub].map((h) => h.app.listen({ host: '127.0.0.1', port: 0 })));
    const admin = new HubClient({ hub: urlOf(hub), token: hub.admin.token });
    const root = await makeRoot();
    trustDir = root.dir;
    await admin.post('/apps', { name: 'enrollapp', root: root.root });
    await admin.post('/customers', { name: 'acme', entitlements: [{ app: 'enrollapp', channel: 'stable' }] });
  });
  after(async () => {
    await Promise.all([hub.close(), otherHub.close()]);
    await removeDir(work);
    await removeDir(trustDir);
  });

  const token = async (): Promise<string> =>
    (await new HubClient({ hub: urlOf(hub), token: hub.admin.token }).post<{ token: string }>('/customers/acme/enroll-tokens', { app: 'enrollapp', uses: 1 })).token;

  it('creates no state directory, whatever the reason, and says why in one line', async () => {
    const used = await token();
    const key = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    await new HubClient({ hub: urlOf(hub), token: '' }).post('/enroll', { token: used.split('.')[0], name: 'first', publicKey: key });
    const fresh = await token();
    const cases = [
      { name: 'unreachable hub', hub: `http://127.0.0.1:${await freePort()}`, token: fresh, reason: /cannot reach the hub/ },
      { name: 'another hub', hub: urlOf(otherHub), token: fresh, reason: /token is unknown, used up or expired/ },
      { name: 'used token', hub: urlOf(hub), token: used, reason: /token is unknown, used up or expired/ },
      { name: 'root mismatch', hub: urlOf(hub), token: fresh.replace(/\.[a-f0-9]{64}$/, `.${'0'.repeat(64)}`), reason: /another root\.json v1/ },
      { name: 'malformed token', hub: urlOf(hub), token: 'ske_not-a-token', reason: /enrollment token is malformed/ },
    ];
    await Promise.all(
      cases.map(async (c) => {
        const stateDir = path.join(work, c.name.replace(/ /g, '-'), 'state');
        const r = await runCli(['agent', 'run', '--state', stateDir, '--hub', c.hub, '--enroll-token', c.token, '--once', ...FAST_FLAGS]);
        assert.notEqual(r.code, 0, `${c.name}: exits non-zero`);
        assert.match(r.stderr, c.reason, c.name);
        assert.match(r.stderr, /^skiff: [^\n]+\n$/, `${c.name}: one line, no stack trace: ${r.stderr}`);
        assert.equal(existsSync(path.dirname(stateDir)), false, `${c.name}: nothing is created`);
      }),
    );
  });

  it('adds nothing to a state directory that was already there', async () => {
    const stateDir = path.join(work, 'existing');
    await mkdir(stateDir);
    const forged = (await token()).replace(/\.[a-f0-9]{64}$/, `.${'1'.repeat(64)}`);
    await assert.rejects(runConnected({ stateDir, hub: urlOf(hub), enrollToken: forged, once: true }), (e) => isSkiffError(e, 'TRUST_INVALID'));
    assert.deepEqual(await readdir(stateDir), []);
  });

  it('an enrollment that succeeds creates the state directory', async () => {
    const stateDir = path.join(work, 'enrolled', 'state');
    const logs: string[] = [];
    await runConnected({ stateDir, hub: urlOf(hub), enrollToken: await token(), once: true, log: (l) => logs.push(l) });
    assert.ok(logs.some((l) => /no timestamp key/.test(l)), `enrolled; the first poll finds the app without a timestamp key: ${logs.join('\n')}`);
    assert.deepEqual((await readdir(path.join(stateDir, 'connected'))).sort(), ['identity.json', 'instance.key']);
  });
});
