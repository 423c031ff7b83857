// `skiff logs` against a listening hub: filters, text and JSON output, a bad flag named, and --follow printing each
// new line once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { logsCommand, showLogs, timeFlag } from '../../src/cli/logs.ts';
import { mintToken } from '../../src/hub/auth/secrets.ts';
import { runCommand, seed, startHub, type Hub } from './hub-fixture.ts';

describe('skiff logs', () => {
  let hub: Hub;
  let url = '';
  const inst = { id: '', credential: '' };
  let seq = 0;
  const send = async (service: string, message: string, level = 'info'): Promise<void> => {
    seq += 1;
    const res = await hub.call('POST', `/api/v1/instances/${inst.id}/logs`, inst.credential, { stream: 'cli-stream-1', lines: [{ seq, at: new Date().toISOString(), service, source: 'stdout', level, message }] });
    assert.equal(res.status, 200);
  };
  before(async () => {
    hub = await startHub();
    url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const c = await seed(hub.db, (tx) => tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [] }));
    const cred = mintToken('ski_');
    const i = await seed(hub.db, async (tx) => {
      const made = await tx.createInstance({ customerId: c.id, app: 'netmon', name: 'gw-1' });
      await tx.createToken({ kind: 'instance', hash: cred.hash, name: 'gw-1', userId: null, customerId: c.id, instanceId: made.id, scopes: [], expiresAt: null });
      return made;
    });
    Object.assign(inst, { id: i.id, credential: cred.token });
    await send('web', 'GET / 200');
    await send('db', 'checkpoint complete');
    await send('web', 'upstream timed out', 'error');
  });
  after(async () => hub.close());

  const run = (args: string[]) => runCommand(logsCommand, ['--hub', url, '--token', hub.admin.token, ...args]);

  it('prints the lines of an instance, filtered by service, level and text', async () => {
    const all = await run(['--instance', inst.id, '--since', '1h']);
    assert.equal(all.code, 0);
    assert.deepEqual(all.out.trim().split('\n').map((l) => l.split(' ').slice(1).join(' ')), ['web[stdout] INFO  GET / 200', 'db[stdout] INFO  checkpoint complete', 'web[stdout] ERROR upstream timed out']);
    assert.match((await run(['--instance', inst.id, '--service', 'db'])).out, /^\S+ db\[stdout\] INFO {2}checkpoint complete\n$/);
    assert.match((await run(['--instance', inst.id, '--level', 'error'])).out, /upstream timed out\n$/);
    const json = (await run(['--instance', inst.id, '--grep', 'GET', '--json'])).out.trim().split('\n').map((l) => JSON.parse(l) as { message: string; instanceId: string });
    assert.deepEqual(json.map((l) => [l.message, l.instanceId]), [['GET / 200', inst.id]]);
  });

  it('names a bad flag, prints nothing and exits non-zero', async () => {
    assert.throws(() => timeFlag('--since', 'yesterday'), /--since "yesterday" is neither a duration ago .* nor an ISO 8601 time/);
    assert.equal(timeFlag('--since', '2h', Date.parse('2026-11-30T12:00:00Z')), '2026-11-30T10:00:00.000Z');
    const bad = await run(['--instance', 'gw-1']);
    assert.equal(bad.code, 2);
    assert.equal(bad.out, '');
  });

  it('--follow prints each new line once as it arrives', async () => {
    let out = '';
    const ac = new AbortController();
    const following = showLogs({ hub: url, token: hub.admin.token, instance: inst.id, follow: true, since: '1h' }, { write: (s: string) => (out += s) }, ac.signal);
    await sleep(500);
    await send('web', 'after follow 1');
    await send('web', 'after follow 2');
    await sleep(4500);
    ac.abort();
    await following;
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 5, out);
    assert.equal(lines.filter((l) => l.endsWith('after follow 2')).length, 1);
  });
});
