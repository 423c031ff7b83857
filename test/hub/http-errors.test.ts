// Every error the hub sends has its one body, `{ "error": { code, message } }`, also those answered before any route
// runs (a path parameter over the router's limit, malformed HTTP, a body shorter than its Content-Length, a request
// that stalls, a hub shutting down); and blob uploads say what they accept and check bytes against an existing digest.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { build, IDLE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/hub/app.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import type { MetadataDb } from '../../src/hub/db/types.ts';
import { createFirstAdmin } from '../../src/hub/init.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { FsBlobStore } from '../../src/store/index.ts';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** Sends raw bytes on a new connection, optionally half-closes, and reads until the hub closes it (or `ms` pass: a hang). */
async function raw(port: number, text: string, opts: { end: boolean; ms?: number }): Promise<Answer> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(text);
  if (opts.end) socket.end();
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  const closed = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), opts.ms ?? 10_000)),
  ]);
  socket.destroy();
  assert.ok(closed, `the hub answered and closed within ${opts.ms ?? 10_000} ms (got: ${received.slice(0, 200) || 'nothing'})`);
  const split = received.indexOf('\r\n\r\n');
  return { status: Number(received.slice(9, 12)), body: received.slice(split + 4) };
}

function hubBody(a: Answer, status: number, message: RegExp): void {
  assert.equal(a.status, status, a.body);
  const parsed = JSON.parse(a.body) as { error?: { code?: string; message?: string } };
  assert.deepEqual(Object.keys(parsed), ['error'], a.body);
  assert.equal(typeof parsed.error?.code, 'string');
  assert.match(parsed.error?.message ?? '', message);
}

describe('hub error bodies before any route runs, and blob upload edges', () => {
  let dir: string;
  let db: MetadataDb;
  let app: FastifyInstance;
  let port: number;
  let token: string;
  let head: (method: string, path: string, extra?: string) => string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-http-errors-'));
    db = await openMetadataDb({ dataDir: dir });
    token = (await createFirstAdmin(db)).token;
    // Short timeouts (Node checks them every 100 ms; its header timeout must not exceed the request timeout) so a stalled
    // request is answered within the test.
    app = await build({ db, blobs: new FsBlobStore(join(dir, 'store')), fastify: { requestTimeout: 500, http: { connectionsCheckingInterval: 100, headersTimeout: 400 } } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
    head = (method, path, extra = '') => `${method} ${path} HTTP/1.1\r\nhost: hub\r\nauthorization: Bearer ${token}\r\nconnection: close\r\n${extra}\r\n`;
  });
  after(async () => {
    await app.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sets an idle and a whole-request timeout by default', async () => {
    const plain = await build({ db, blobs: new FsBlobStore(join(dir, 'store')) });
    assert.equal(plain.server.timeout, IDLE_TIMEOUT_MS);
    assert.equal(plain.server.requestTimeout, REQUEST_TIMEOUT_MS);
    await plain.close();
  });

  it('answers a path parameter over 2,048 characters with 414 and the hub body, not the path echoed back', async () => {
    const a = await raw(port, head('GET', `/api/v1/apps/${'a'.repeat(3000)}/roots`), { end: false });
    hubBody(a, 414, /^a path parameter is longer than 2048 characters/);
    assert.ok(a.body.length < 300, `a short body (${a.body.length} bytes)`);
    hubBody(await raw(port, head('GET', '/api/v1/apps/%E0%A4%A'), { end: false }), 400, /not a valid URL/);
  });

  it('answers a body shorter than its Content-Length, then a hang-up, with 400 and the hub body', async () => {
    const json = head('POST', '/api/v1/customers', 'content-type: application/json\r\ncontent-length: 100\r\n') + '{"name":';
    hubBody(await raw(port, json, { end: true }), 400, /shorter than its Content-Length/);
    const blob = head('PUT', `/api/v1/blobs/${sha256(Buffer.from('x'))}`, 'content-type: application/octet-stream\r\ncontent-length: 100\r\n') + 'abc';
    hubBody(await raw(port, blob, { end: true }), 400, /shorter than its Content-Length/);
    hubBody(await raw(port, 'NOT HTTP\r\n\r\n', { end: false }), 400, /not valid HTTP/);
  });

  it('does not wait forever for a body that stops short: 408 and the hub body', async () => {
    const json = head('POST', '/api/v1/customers', 'content-type: application/json\r\ncontent-length: 100\r\n') + '{"name":';
    hubBody(await raw(port, json, { end: false }), 408, /did not arrive in time/);
    const blob = head('PUT', `/api/v1/blobs/${sha256(Buffer.from('x'))}`, 'content-type: application/octet-stream\r\ncontent-length: 100\r\n') + 'abc';
    hubBody(await raw(port, blob, { end: false }), 408, /did not arrive in time/);
  });

  it('names application/octet-stream to a blob upload without a content type', async () => {
    const data = Buffer.from('blob bytes');
    const res = await app.inject({ method: 'PUT', url: `/api/v1/blobs/${sha256(data)}`, headers: { authorization: `Bearer ${token}` }, payload: data });
    hubBody({ status: res.statusCode, body: res.body }, 415, /application\/octet-stream/);
  });

  it('refuses other bytes under the digest of a blob the hub already has: 400 DIGEST_MISMATCH, the blob unchanged', async () => {
    const data = Buffer.from('the real blob');
    const put = (body: Buffer) =>
      app.inject({ method: 'PUT', url: `/api/v1/blobs/${sha256(data)}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, payload: body });
    assert.equal((await put(data)).statusCode, 201);
    const forged = await put(Buffer.from('a forged blob'));
    hubBody({ status: forged.statusCode, body: forged.body }, 400, /hashes to sha256:/);
    assert.equal((JSON.parse(forged.body) as { error: { code: string } }).error.code, 'DIGEST_MISMATCH');
    assert.equal((await put(data)).statusCode, 201, 'the right bytes are still accepted');
  });

  it('answers 503 with the hub body to a request that arrives while it shuts down', async () => {
    let release: () => void = () => undefined;
    const slow = await build({
      db,
      blobs: new FsBlobStore(join(dir, 'store')),
      plugins: [async (a) => void a.get('/slow', () => new Promise((resolve) => (release = () => resolve({ ok: true }))))],
    });
    await slow.listen({ host: '127.0.0.1', port: 0 });
    const slowPort = (slow.server.address() as { port: number }).port;
    const socket = connect(slowPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    socket.write('GET /slow HTTP/1.1\r\nhost: hub\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = slow.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write('GET /api/v1/whoami HTTP/1.1\r\nhost: hub\r\nconnection: close\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await closing;
    const second = received.slice(received.indexOf('HTTP/1.1', 10));
    hubBody({ status: Number(second.slice(9, 12)), body: second.slice(second.indexOf('\r\n\r\n') + 4) }, 503, /shutting down/);
  });
});
