// The hub client against real HTTP servers on loopback: retries with back-off for idempotent requests only, one error
// parser, and bundle downloads that resume with Range + If-Range after a cut connection.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backoffDelay, fetchBundle, HubClient, type RetryPolicy } from '../../src/hub-client/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';

const FAST: RetryPolicy = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('hub client', () => {
  it('backs off exponentially with jitter, capped', () => {
    const p: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelay(1, p, () => 0.5), 100);
    assert.equal(backoffDelay(3, p, () => 0.5), 400);
    assert.equal(backoffDelay(9, p, () => 0.5), 1000);
    assert.equal(backoffDelay(1, p, () => 0), 50);
    assert.equal(backoffDelay(1, p, () => 0.999), 150);
  });

  it('retries a GET through 503s, never a POST; the error body becomes a SkiffError with its code', async () => {
    const seen: string[] = [];
    let failures = 2;
    const { url, server } = await serve((req, res) => {
      seen.push(req.method ?? '');
      if (failures-- > 0) return res.writeHead(503).end();
      if (req.method === 'POST') return res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'CONFLICT', message: 'customer "acme" already exists' } }));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    try {
      const client = new HubClient({ hub: url, token: 'skh_x' }, { retry: FAST });
      assert.deepEqual(await client.get('/apps'), { ok: true });
      assert.deepEqual(seen, ['GET', 'GET', 'GET']);
      failures = 1;
      seen.length = 0;
      await assert.rejects(client.post('/customers', {}), (e) => isSkiffError(e, 'INTERNAL') && /HTTP 503/.test(e.message));
      assert.deepEqual(seen, ['POST'], 'a POST is sent once');
      await assert.rejects(client.post('/customers', {}), (e) => isSkiffError(e, 'CONFLICT') && e.message === 'hub: customer "acme" already exists');
    } finally {
      server.close();
    }
  });

  it('a 204 No Content answer is a success without a body (a status report is sent, not "not sent")', async () => {
    const { url, server } = await serve((_req, res) => res.writeHead(204).end());
    try {
      assert.equal(await new HubClient({ hub: url, token: 'ski_x' }).post('/instances/self/status', { health: 'healthy' }), undefined);
    } finally {
      server.close();
    }
  });

  it('a hub that does not answer is HUB_UNREACHABLE after the retries', async () => {
    const { url, server } = await serve(() => undefined);
    server.close();
    const client = new HubClient({ hub: url, token: 'skh_x' }, { retry: FAST });
    await assert.rejects(client.get('/apps'), (e) => isSkiffError(e, 'HUB_UNREACHABLE') && /ECONNREFUSED/.test(e.message));
  });
});

describe('bundle download resume', () => {
  const bundle = randomBytes(3 * 1024 * 1024 + 17);
  const sha = createHash('sha256').update(bundle).digest('hex');
  const etag = '"bundle-v1"';
  let dir: string;
  let url: string;
  let server: Server;
  let cutAt: number[] = [];
  const sent: number[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-fetch-'));
    ({ url, server } = await serve((req, res) => {
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range && req.headers['if-range'] === etag ? Number(range[1]) : 0;
      const body = bundle.subarray(start);
      res.writeHead(start > 0 ? 206 : 200, {
        etag,
        'content-length': body.length,
        ...(start > 0 ? { 'content-range': `bytes ${start}-${bundle.length - 1}/${bundle.length}` } : {}),
      });
      const cut = cutAt.shift();
      if (cut === undefined) {
        sent.push(body.length);
        return res.end(body);
      }
      sent.push(cut);
      res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 20));
    }));
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes a cut download from where it stopped; bytes received ≤ bundle size', async () => {
    cutAt = [1024 * 1024, 500_000];
    sent.length = 0;
    const output = join(dir, 'a.skiff');
    const r = await fetchBundle({ conn: { hub: url, token: 'skc_x' }, app: 'netmon', version: '1.0.0', output, retry: FAST });
    assert.equal(r.attempts, 3);
    assert.equal(r.size, bundle.length);
    assert.equal(r.digest, `sha256:${sha}`);
    assert.ok((await readFile(output)).equals(bundle));
    assert.ok(r.received <= bundle.length, `received ${r.received} of ${bundle.length}`);
    assert.deepEqual((await readdir(dir)).sort(), ['a.skiff'], 'no part file left');
    const open = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
    assert.deepEqual(open.filter((target) => target.startsWith(dir)), [], 'no file of the download is held open');
  });

  it('a later run resumes the part file a failed run left', async () => {
    cutAt = [700_000, 0, 0];
    const output = join(dir, 'b.skiff');
    const conn = { hub: url, token: 'skc_x' };
    await assert.rejects(fetchBundle({ conn, app: 'netmon', version: '1.0.0', output, retry: { ...FAST, attempts: 3 } }), (e) => isSkiffError(e, 'BUNDLE_TRUNCATED') && /run it again to resume/.test(e.message));
    assert.ok((await readdir(dir)).includes('b.skiff.part'));
    const kept = (await stat(join(dir, 'b.skiff.part'))).size;
    assert.ok(kept > 0 && kept <= 700_000, `the part file holds what arrived (${kept} bytes)`);
    cutAt = [];
    const r = await fetchBundle({ conn, app: 'netmon', version: '1.0.0', output, retry: FAST });
    assert.equal(r.received, bundle.length - kept, 'only the rest is fetched');
    assert.equal(r.digest, `sha256:${sha}`);
  });

  it('throttles to a bandwidth limit', async () => {
    cutAt = [];
    const started = Date.now();
    const r = await fetchBundle({ conn: { hub: url, token: 'skc_x' }, app: 'netmon', version: '1.0.0', output: join(dir, 'c.skiff'), bytesPerSecond: 8 * 1024 * 1024 });
    assert.equal(r.size, bundle.length);
    assert.ok(Date.now() - started >= 300, 'about 0.4 s at 8 MiB/s');
  });
});
