// Forwarding of stored log lines as RFC 5424 over TCP and over TLS to a real rsyslogd (octet-counted framing; TLS by
// rsyslog-gnutls's gtls driver with a certificate a private CA issued); a forwarder given the wrong CA says so in one
// line and keeps the lines.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from '../../src/hub/app.ts';
import { mintToken } from '../../src/hub/auth/secrets.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import { initHub } from '../../src/hub/init.ts';
import { startHubServer } from '../../src/hub/server.ts';
import type { MetadataDb } from '../../src/hub/db/types.ts';
import { parseSyslogUrl, syslogMessage, SyslogForwarder } from '../../src/hub/logs/syslog.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { seed } from '../helpers/hub-release.ts';
import { makePrivateCa, type PrivateCa } from '../helpers/private-ca.ts';
import { startRsyslog, type Rsyslog } from '../helpers/rsyslog.ts';

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(v)}`);
    await sleep(100);
  }
}

const inst = { id: '4a3f6c1e-0000-4000-8000-000000000001', customerId: 'c', app: 'netmon', name: 'gw-1' } as const;
const from = { instance: inst as unknown as Parameters<typeof syslogMessage>[1]['instance'], customer: 'acme' };
const line = (seq: number, message: string, level: 'error' | 'info' = 'info') => ({ seq, at: '2026-11-30T10:00:00.123Z', service: 'web', source: 'stdout', level, message, instanceId: inst.id, stream: 's' });

describe('syslog forwarding', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-syslog-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('formats RFC 5424 with the instance in structured data, and refuses a bad target', () => {
    assert.equal(
      syslogMessage(line(7, 'db down', 'error'), from),
      `<131>1 2026-11-30T10:00:00.123Z acme.gw-1 web - - [skiff@32473 instance="${inst.id}" customer="acme" app="netmon" source="stdout" seq="7"] db down`,
    );
    for (const bad of ['udp://h:514', 'tcp://h', 'tls://h:99999', 'h:514'])
      assert.throws(() => parseSyslogUrl(bad), (e: unknown) => isSkiffError(e, 'USAGE') && /tcp:\/\/host:port or tls:\/\/host:port/.test(e.message));
  });

  describe('to a real rsyslogd over TCP, from lines the hub stores', () => {
    let rsyslog: Rsyslog;
    let db: MetadataDb;
    let forwarder: SyslogForwarder;
    before(async () => {
      rsyslog = await startRsyslog(dir);
      forwarder = new SyslogForwarder({ url: `tcp://127.0.0.1:${rsyslog.port}` });
      db = await openMetadataDb({ dataDir: dir });
    });
    after(async () => {
      await forwarder.close();
      await rsyslog.stop();
      await db.close();
    });

    it('receives each stored line once (a batch sent again is not forwarded again)', async () => {
      const app = await build({ db, blobs: new FsBlobStore(join(dir, 'store')), logs: { sink: forwarder.sink } });
      try {
        const c = await seed(db, (tx) => tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [] }));
        const cred = mintToken('ski_');
        const i = await seed(db, async (tx) => {
          const made = await tx.createInstance({ customerId: c.id, app: 'netmon', name: 'gw-1' });
          await tx.createToken({ kind: 'instance', hash: cred.hash, name: 'gw-1', userId: null, customerId: c.id, instanceId: made.id, scopes: [], expiresAt: null });
          return made;
        });
        const body = { stream: 'stream-0001', lines: [1, 2, 3].map((n) => ({ seq: n, at: new Date().toISOString(), service: 'web', source: 'stdout', level: n === 2 ? 'error' : 'info', message: `hello ${n} – ünïcode` })) };
        for (let k = 0; k < 2; k += 1) {
          const res = await app.inject({ method: 'POST', url: `/api/v1/instances/${i.id}/logs`, headers: { authorization: `Bearer ${cred.token}` }, payload: body });
          assert.equal(res.statusCode, 200, res.body);
        }
        const text = await until('three lines at rsyslog', () => rsyslog.received(), (t) => t.split('\n').filter(Boolean).length >= 3);
        await sleep(500);
        const got = (await rsyslog.received()).split('\n').filter(Boolean);
        assert.equal(got.length, 3, text);
        assert.match(got[0] ?? '', new RegExp(`^acme\\.gw-1 web - 134 \\[skiff@32473 instance="${i.id}" customer="acme" app="netmon" source="stdout" seq="1"\\] hello 1 – ünïcode$`));
        assert.match(got[1] ?? '', / 131 .* hello 2 /);
      } finally {
        await app.close();
      }
    });
  });

  describe('to a real rsyslogd over TLS (gtls), its certificate issued by a private CA', () => {
    let rsyslog: Rsyslog;
    let ca: PrivateCa;
    let otherCa: PrivateCa;
    before(async () => {
      for (const sub of ['tls', 'ca', 'other-ca']) await mkdir(join(dir, sub));
      ca = await makePrivateCa(join(dir, 'ca'));
      otherCa = await makePrivateCa(join(dir, 'other-ca'));
      rsyslog = await startRsyslog(join(dir, 'tls'), ca);
    });
    after(async () => rsyslog.stop());

    it('hub serve --syslog tls:// --syslog-ca: rsyslogd receives the lines the hub stored (octet framing keeps a newline inside one)', async () => {
      const data = join(dir, 'hub-data');
      await initHub({ dataDir: data });
      const hub = await startHubServer({ dataDir: data, listen: '127.0.0.1:0', syslog: `tls://127.0.0.1:${rsyslog.port}`, syslogCa: ca.caCert, rollouts: false, webDir: false });
      try {
        const db = hub.app.hub.db;
        const c = await seed(db, (tx) => tx.createCustomer({ name: 'acme', airgapped: false, entitlements: [] }));
        const cred = mintToken('ski_');
        const i = await seed(db, async (tx) => {
          const made = await tx.createInstance({ customerId: c.id, app: 'netmon', name: 'gw-1' });
          await tx.createToken({ kind: 'instance', hash: cred.hash, name: 'gw-1', userId: null, customerId: c.id, instanceId: made.id, scopes: [], expiresAt: null });
          return made;
        });
        const lines = [{ seq: 1, message: 'first over tls\nwith a newline inside', level: 'info' }, { seq: 2, message: 'second over tls', level: 'error' }];
        const res = await fetch(`${hub.url}/api/v1/instances/${i.id}/logs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${cred.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ stream: 'stream-tls', lines: lines.map((l) => ({ ...l, at: new Date().toISOString(), service: 'web', source: 'stdout' })) }),
        });
        assert.equal(res.status, 200, await res.text());
        const text = await until('two lines over TLS', () => rsyslog.received(), (t) => /second over tls/.test(t));
        assert.match(text, new RegExp(`^acme\\.gw-1 web - 134 \\[skiff@32473 instance="${i.id}" [^\\]]*seq="1"\\] first over tls#012with a newline inside$`, 'm'));
        assert.match(text, / 131 \[skiff@32473 [^\]]*seq="2"\] second over tls$/m);
        assert.equal(text.split('\n').filter(Boolean).length, 2, text);
      } finally {
        await hub.close();
      }
    });

    it('refuses TLS files given without tls://, half a client certificate, or a file that cannot be read, naming the flag', async () => {
      const data = join(dir, 'hub-data');
      const refused = async (opts: { syslog?: string; syslogCa?: string; syslogCert?: string; syslogKey?: string }, pattern: RegExp) =>
        assert.rejects(startHubServer({ dataDir: data, listen: '127.0.0.1:0', rollouts: false, webDir: false, ...opts }), (e: unknown) => isSkiffError(e, 'USAGE') && pattern.test(e.message));
      await refused({ syslog: 'tcp://127.0.0.1:514', syslogCa: ca.caCert }, /^--syslog-ca needs --syslog tls:\/\/host:port$/);
      await refused({ syslogCert: ca.cert, syslogKey: ca.key }, /^--syslog-cert and --syslog-key need --syslog tls:\/\/host:port$/);
      await refused({ syslog: `tls://127.0.0.1:${rsyslog.port}`, syslogCert: ca.cert }, /give both --syslog-cert and --syslog-key, or neither/);
      await refused({ syslog: `tls://127.0.0.1:${rsyslog.port}`, syslogCa: join(dir, 'missing.pem') }, /^--syslog-ca .*missing\.pem does not exist: check the path/);
    });

    it('with the wrong CA: one line in the log naming --syslog-ca, nothing sent, the lines kept and retried', async () => {
      const said: string[] = [];
      const forwarder = new SyslogForwarder({ url: `tls://127.0.0.1:${rsyslog.port}`, ca: await readFile(otherCa.caCert), log: (m) => said.push(m) });
      try {
        forwarder.start();
        forwarder.sink([line(3, 'never trusted'), line(4, 'never trusted either')], from);
        await until('the problem told', async () => said.length, (n) => n > 0);
        // Back-off retries (250 ms, 500 ms, 1 s) fail the same way: told once, not once per retry.
        await sleep(2000);
        assert.equal(said.length, 1, said.join('\n'));
        assert.match(said[0] ?? '', /^syslog tls:\/\/127\.0\.0\.1:\d+: the log system's certificate is not trusted \(\w+\): give the CA that issued it with --syslog-ca; lines are kept/);
        assert.doesNotMatch(said[0] ?? '', /\n/);
        assert.equal(forwarder.queued, 2, 'both lines are still waiting');
        assert.equal(forwarder.dropped, 0);
        assert.ok(!(await rsyslog.received()).includes('never trusted'));
      } finally {
        await forwarder.close(0);
      }
    });
  });
});
