// A client that stalls (an upload that stops sending, a download never read) is cut off once its connection has been
// idle for the hub's idle timeout: its connection, temp file and read budget are given back. A slow client that
// keeps reading is not cut off.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import { initHub, STORE_DIR } from '../../src/hub/init.ts';
import { startHubServer, type RunningHub } from '../../src/hub/server.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { blobReadBudget } from '../../src/store/index.ts';
import { exchange, startRequest } from '../helpers/raw-http.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';

const MB = 1024 * 1024;
const IDLE_MS = 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (up to `ms`); true once it holds. */
async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await check()) return true;
  return check();
}

describe('hub idle timeout', () => {
  let data: string;
  let hub: RunningHub;
  let vendor: SyntheticVendor;
  let port: number;
  let admin: string;
  let customer: string;
  let small: string;
  let big: string;
  const connections = () => new Promise<number>((resolve, reject) => hub.app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));

  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'skiff-idle-'));
    admin = (await initHub({ dataDir: data })).token;
    hub = await startHubServer({ dataDir: data, listen: '127.0.0.1:0', idleTimeoutMs: IDLE_MS });
    port = Number(new URL(hub.url).port);
    vendor = await makeSyntheticVendor({ baseLayerSize: MB });
    await vendor.release('1.0.0', { webLayerSize: 16 * MB });
    const client = new HubClient({ hub: hub.url, token: admin });
    await client.post('/apps', { name: vendor.app, root: vendor.rootJson });
    await pushRelease({ conn: { hub: hub.url, token: admin }, store: vendor.store, app: vendor.app, version: '1.0.0' });
    await client.post(`/apps/${vendor.app}/channels/stable/releases`, { version: '1.0.0' });
    customer = (await client.post<{ token: string }>('/customers', { name: 'acme', entitlements: [{ app: vendor.app, channel: 'stable' }] })).token;
    const manifest = await exchange(port, { method: 'GET', path: `/v2/${vendor.app}/web/manifests/1.0.0`, headers: { authorization: `Bearer ${customer}` } });
    const layers = (JSON.parse(manifest.body.toString()) as { layers: { digest: string }[] }).layers.map((l) => `/v2/${vendor.app}/web/blobs/${l.digest}`);
    [small = '', big = ''] = layers;
  });
  after(async () => {
    await hub?.close();
    await vendor?.cleanup();
    await rm(data, { recursive: true, force: true });
  });

  it('cuts off an upload that stops sending, and removes its temp file', async () => {
    const idle = await connections();
    const blob = randomBytes(4 * MB);
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream', 'content-length': blob.length };
    const put = startRequest(port, { method: 'PUT', path: `/api/v1/blobs/${sha256(blob)}`, headers, body: blob }, MB);
    const tmp = join(data, STORE_DIR, 'tmp');
    assert.ok(await within(5000, async () => (await readdir(tmp)).length === 1), 'the upload has a temp file');
    assert.ok(await within(IDLE_MS * 10, async () => (await readdir(tmp)).length === 0), 'its temp file is removed once the upload stalls');
    await put.response;
    assert.ok(await within(IDLE_MS * 4, async () => (await connections()) <= idle), 'its connection is closed');
  });

  it('cuts off a download never read, and gives back its read budget', async () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const idle = await connections();
    socket.pause();
    socket.write(`GET ${big} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${customer}\r\n\r\n`);
    assert.ok(await within(5000, () => blobReadBudget.used > 0), 'the download started');
    assert.ok(await within(IDLE_MS * 10, () => blobReadBudget.used === 0), 'its budget is given back once it stalls');
    assert.ok(await within(IDLE_MS * 4, async () => (await connections()) <= idle), 'its connection is closed');
    socket.destroy();
  });

  it('does not cut off a download read slowly but steadily, longer than the idle timeout in all', async () => {
    const socket = connect(port, '127.0.0.1');
    let received = 0;
    const started = Date.now();
    const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      socket.pause();
      setTimeout(() => socket.resume(), 40);
    });
    socket.write(`GET ${small} HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: Bearer ${customer}\r\n\r\n`);
    await done;
    assert.ok(received > MB, `the whole blob arrived (${received} bytes)`);
    assert.ok(Date.now() - started > IDLE_MS, 'the download lasted longer than the idle timeout');
  });
});
