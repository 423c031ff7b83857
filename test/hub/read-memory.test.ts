// Memory per download is bounded: concurrent blob GETs through a real hub share one read-buffer budget (1 MiB chunks
// while it lasts, 64 KiB after), given back when each response is done or its client hangs up; and a `skiff hub
// serve` child's peak RSS under 300 concurrent 1 MB GETs stays below one 1 MiB buffer per download.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import { initHub } from '../../src/hub/init.ts';
import { startHubServer } from '../../src/hub/server.ts';
import { blobReadBudget } from '../../src/store/index.ts';
import { hubInit, startHubProcess } from '../helpers/hub-process.ts';
import { exchange } from '../helpers/raw-http.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';

const BLOB_SIZE = 1_000_000;
const BIG_BLOB_SIZE = 8 * 1024 * 1024;
const MB = 1024 * 1024;

/** Peak resident memory of a process so far (VmHWM), in bytes. */
async function peakRss(pid: number): Promise<number> {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/**
 * `n` GETs at once; each client pauses at its first bytes. Once all have them, `whileAllStarted` runs, then the clients
 * read to the end (or hang up, with `hangUp`). Returns the bytes each received.
 */
async function concurrentGets(url: string, path: string, token: string, n: number, whileAllStarted: () => void | Promise<void>, hangUp = false): Promise<number[]> {
  const port = Number(new URL(url).port);
  const clients = Array.from({ length: n }, () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let received = 0;
    let go = false;
    let started!: () => void;
    const firstBytes = new Promise<void>((resolve) => (started = resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(received)));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      started();
      if (!go) socket.pause();
    });
    socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\nauthorization: Bearer ${token}\r\n\r\n`);
    const next = () => {
      go = true;
      if (hangUp) socket.destroy();
      else socket.resume();
    };
    return { firstBytes, closed, next };
  });
  await Promise.all(clients.map((c) => c.firstBytes));
  await whileAllStarted();
  for (const c of clients) c.next();
  return Promise.all(clients.map((c) => c.closed));
}

/** The budget in use once the hub has seen the last close (a stream closes a moment after its socket); polled. */
async function budgetSettled(): Promise<number> {
  for (let i = 0; i < 100 && blobReadBudget.used > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return blobReadBudget.used;
}

/** A hub (started by `serve`) holding one release whose web image has a 1 MB and an 8 MB layer, and a customer entitled to it. */
async function hubWithBlobs<H extends { url: string }>(vendor: SyntheticVendor, token: string, serve: () => Promise<H>): Promise<{ hub: H; small: string; big: string; customer: string }> {
  const hub = await serve();
  const client = new HubClient({ hub: hub.url, token });
  await client.post('/apps', { name: vendor.app, root: vendor.rootJson });
  await pushRelease({ conn: { hub: hub.url, token }, store: vendor.store, app: vendor.app, version: '1.0.0' });
  await client.post(`/apps/${vendor.app}/channels/stable/releases`, { version: '1.0.0' });
  const customer = (await client.post<{ token: string }>('/customers', { name: 'acme', entitlements: [{ app: vendor.app, channel: 'stable' }] })).token;
  const manifest = await exchange(Number(new URL(hub.url).port), { method: 'GET', path: `/v2/${vendor.app}/web/manifests/1.0.0`, headers: { authorization: `Bearer ${customer}` } });
  const [small, big] = (JSON.parse(manifest.body.toString()) as { layers: { digest: string; size: number }[] }).layers;
  assert.ok(small?.size === BLOB_SIZE && big?.size === BIG_BLOB_SIZE, 'the web image has a 1 MB and an 8 MB layer');
  const path = (digest: string) => `/v2/${vendor.app}/web/blobs/${digest}`;
  return { hub, small: path(small.digest), big: path(big.digest), customer };
}

describe('hub memory under many concurrent blob downloads', () => {
  let vendor: SyntheticVendor;
  const dirs: string[] = [];
  const temp = async (name: string) => {
    const dir = await mkdtemp(join(tmpdir(), `skiff-${name}-`));
    dirs.push(dir);
    return dir;
  };
  before(async () => {
    vendor = await makeSyntheticVendor({ baseLayerSize: BLOB_SIZE });
    await vendor.release('1.0.0', { webLayerSize: BIG_BLOB_SIZE });
  });
  after(async () => {
    await vendor.cleanup();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('lends 1 MiB read chunks to at most 64 concurrent downloads, until each response is done', async () => {
    const data = await temp('read-budget');
    const { token } = await initHub({ dataDir: data });
    const { hub, big, customer } = await hubWithBlobs(vendor, token, () => startHubServer({ dataDir: data, listen: '127.0.0.1:0' }));
    try {
      assert.equal(await budgetSettled(), 0);
      // 8 MB each: more than the socket buffers take, so every response is still being sent while its client waits.
      let held = -1;
      const sizes = await concurrentGets(hub.url, big, customer, 100, () => {
        held = blobReadBudget.used;
      });
      assert.equal(held, blobReadBudget.capacity, 'while 100 run, the budget is spent, not exceeded');
      assert.ok(sizes.every((n) => n > BIG_BLOB_SIZE), 'every download completes');
      assert.equal(await budgetSettled(), 0, 'given back when the downloads end');
      await concurrentGets(hub.url, big, customer, 100, () => assert.equal(blobReadBudget.used, blobReadBudget.capacity), true);
      assert.equal(await budgetSettled(), 0, 'given back when the clients hang up');
    } finally {
      await hub.close();
    }
  });

  it('keeps the peak RSS of a hub process under 300 concurrent 1 MB GETs below one 1 MiB buffer per GET', async (t) => {
    const data = await temp('read-rss');
    const { token } = await hubInit({ data });
    const { hub, small, customer } = await hubWithBlobs(vendor, token, () => startHubProcess({ data }));
    try {
      const before = await peakRss(hub.pid);
      const sizes = await concurrentGets(hub.url, small, customer, 300, () => undefined);
      const grew = (await peakRss(hub.pid)) - before;
      t.diagnostic(`hub peak RSS ${Math.round(before / MB)} MiB, +${Math.round(grew / MB)} MiB under 300 concurrent 1 MB GETs`);
      assert.ok(sizes.every((n) => n > BLOB_SIZE), 'every download completes');
      assert.ok(grew < 300 * MB, `peak RSS grew by ${Math.round(grew / MB)} MiB`);
    } finally {
      await hub.stop();
    }
  });
});
