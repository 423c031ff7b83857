// Forwarding of stored log lines as RFC 5424 over TCP to a real rsyslogd (octet-counted framing), and over TLS to a
// TLS server that trusts a private CA (Debian's rsyslog here has no TLS driver: rsyslog-gnutls is not installed).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from '../../src/hub/app.ts';
import { mintToken } from '../../src/hub/auth/secrets.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import type { MetadataDb } from '../../src/hub/db/types.ts';
import { parseSyslogUrl, syslogMessage, SyslogForwarder } from '../../src/hub/logs/syslog.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { seed } from '../helpers/hub-release.ts';
import { makePrivateCa } from '../helpers/private-ca.ts';
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

  it('over TLS to a server whose certificate a private CA issued', async () => {
    const ca = await makePrivateCa(dir);
    let received = Buffer.alloc(0);
    const server = createServer({ cert: await readFile(ca.cert), key: await readFile(ca.key) }, (s) => s.on('data', (c: Buffer) => (received = Buffer.concat([received, c]))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const forwarder = new SyslogForwarder({ url: `tls://127.0.0.1:${port}`, ca: await readFile(ca.caCert) });
    try {
      forwarder.sink([line(1, 'first\nwith a newline inside'), line(2, 'second')], from);
      await until('two frames over TLS', async () => received.length, (n) => n > 0 && frames(received).length >= 2);
      const [a, b] = frames(received);
      assert.match(a ?? '', /seq="1"\] first\nwith a newline inside$/);
      assert.match(b ?? '', /seq="2"\] second$/);
      const untrusted = new SyslogForwarder({ url: `tls://127.0.0.1:${port}` });
      untrusted.sink([line(3, 'never')], from);
      await sleep(500);
      assert.ok(!received.toString().includes('never'), 'a server the system roots do not trust gets nothing');
      await untrusted.close(0);
    } finally {
      await forwarder.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** Octet-counted frames: "<length> <message>". */
function frames(buf: Buffer): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(buf.subarray(pos, space).toString());
    if (space + 1 + len > buf.length) break;
    out.push(buf.subarray(space + 1, space + 1 + len).toString('utf8'));
    pos = space + 1 + len;
  }
  return out;
}
