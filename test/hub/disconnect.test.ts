// Clients hanging up on every streaming route of a real `skiff hub serve` (bundles, HEAD, /v2/ manifests and blobs
// with and without Range, blob uploads, release pushes) at many offsets, with a close and with a reset, on both blob
// stores: after each, the hub still answers, holds no more open files than before, and leaves no partial upload.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { HubClient, pushRelease } from '../../src/hub-client/index.ts';
import { STORE_DIR } from '../../src/hub/init.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { describeCut, exchange, hangUp, openFiles, type Cut, type RawRequest } from '../helpers/raw-http.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';

const MB = 1024 * 1024;
const KB = 1024;

interface Stream {
  readonly name: string;
  readonly req: RawRequest;
  readonly cuts: readonly Cut[];
}

const start: Cut = { at: 'start' };
const received = (...bytes: number[]): Cut[] => bytes.map((b) => ({ at: 'received', bytes: b }));
const sent = (...bytes: number[]): Cut[] => bytes.map((b) => ({ at: 'sent', bytes: b }));

for (const backend of ['filesystem', 'blob registry'] as const)
  describe(`clients hanging up on the streaming routes of a real hub (${backend} blob store)`, () => {
    let registry: TestRegistry | undefined;
    let data: string;
    let hub: HubProcess;
    let vendor: SyntheticVendor;
    let port: number;
    let admin: string;
    let customer: string;
    let streams: Stream[];
    let baseline: string[];

    before(async () => {
      data = await mkdtemp(join(tmpdir(), 'skiff-disconnect-'));
      admin = (await hubInit({ data })).token;
      if (backend === 'blob registry') registry = await startRegistry();
      hub = await startHubProcess({ data, ...(registry ? { blobRegistry: registry.url } : {}) });
      port = Number(new URL(hub.url).port);
      vendor = await makeSyntheticVendor({ baseLayerSize: 4 * MB });
      const client = new HubClient({ hub: hub.url, token: admin });
      await client.post('/apps', { name: vendor.app, root: vendor.rootJson });
      const v1 = await vendor.release('1.0.0', { webLayerSize: 512 * KB });
      await vendor.release('1.1.0', { webLayerSize: 768 * KB });
      for (const version of ['1.0.0', '1.1.0']) {
        await pushRelease({
          conn: { hub: hub.url, token: admin },
          store: vendor.store,
          app: vendor.app,
          version,
        });
        await client.post(`/apps/${vendor.app}/channels/stable/releases`, { version });
      }
      customer = (
        await client.post<{ token: string }>('/customers', {
          name: 'acme',
          entitlements: [{ app: vendor.app, channel: 'stable' }],
        })
      ).token;
      // The setup's keep-alive connections would close during the probes and hide a leak of the same size.
      const setupDispatcher = getGlobalDispatcher();
      setGlobalDispatcher(new Agent());
      await setupDispatcher.close();

      const push = vendor.signed({ ...v1.manifest, version: '2.0.0' });
      const pushBody = Buffer.from(
        JSON.stringify({
          manifest: push.manifest.toString('base64'),
          signature: push.signature.toString('base64'),
        }),
      );
      const upload = randomBytes(3 * MB);
      const web = v1.manifest.images.web!;
      const layer = (
        await exchange(port, {
          method: 'GET',
          path: `/v2/${vendor.app}/web/manifests/1.0.0`,
          headers: { authorization: `Bearer ${customer}` },
        })
      ).body;
      const baseLayer = (JSON.parse(layer.toString()) as { layers: { digest: string; size: number }[] })
        .layers[0]!;
      assert.equal(baseLayer.size, 4 * MB);
      const as = (token: string) => ({ authorization: `Bearer ${token}` });
      const bundle = `/api/v1/bundles/${vendor.app}/1.1.0`;
      const blob = `/v2/${vendor.app}/web/blobs/${baseLayer.digest}`;
      streams = [
        {
          name: 'bundle GET',
          req: { method: 'GET', path: bundle, headers: as(customer) },
          cuts: [start, ...received(0, 1, 1000, 64 * KB, 1 * MB, 3 * MB, 5 * MB)],
        },
        {
          name: 'delta bundle GET',
          req: { method: 'GET', path: `${bundle}?from=1.0.0`, headers: as(customer) },
          cuts: [start, ...received(0, 1, 2000, 200 * KB, 700 * KB)],
        },
        {
          name: 'bundle HEAD',
          req: { method: 'HEAD', path: bundle, headers: as(customer) },
          cuts: [start, ...received(0)],
        },
        {
          name: '/v2/ manifest GET',
          req: { method: 'GET', path: `/v2/${vendor.app}/web/manifests/1.0.0`, headers: as(customer) },
          cuts: [start, ...received(0, 1, 100)],
        },
        {
          name: '/v2/ manifest by digest',
          req: {
            method: 'GET',
            path: `/v2/${vendor.app}/web/manifests/${web.manifestDigest}`,
            headers: as(customer),
          },
          cuts: [start, ...received(0, 10)],
        },
        {
          name: '/v2/ blob GET',
          req: { method: 'GET', path: blob, headers: as(customer) },
          cuts: [start, ...received(0, 1, 64 * KB, 1 * MB, 2 * MB, 4 * MB - 1)],
        },
        {
          name: '/v2/ blob GET with Range',
          req: { method: 'GET', path: blob, headers: { ...as(customer), range: 'bytes=1000-3000000' } },
          cuts: [start, ...received(0, 1, 500 * KB, 2 * MB)],
        },
        {
          name: '/v2/ blob HEAD',
          req: { method: 'HEAD', path: blob, headers: as(customer) },
          cuts: [start, ...received(0)],
        },
        {
          name: 'blob PUT',
          req: {
            method: 'PUT',
            path: `/api/v1/blobs/${sha256(upload)}`,
            headers: {
              ...as(admin),
              'content-type': 'application/octet-stream',
              'content-length': upload.length,
            },
            body: upload,
          },
          cuts: [start, ...sent(1, 64 * KB, 1 * MB, upload.length - 1)],
        },
        {
          name: 'release push PUT',
          req: {
            method: 'PUT',
            path: `/api/v1/apps/${vendor.app}/releases/2.0.0`,
            headers: { ...as(admin), 'content-type': 'application/json', 'content-length': pushBody.length },
            body: pushBody,
          },
          cuts: [start, ...sent(1, Math.floor(pushBody.length / 2), pushBody.length - 1), ...received(0)],
        },
      ];
      // Every stream once to the end, so what the hub opens once (database files, caches) is in the baseline.
      for (const s of streams)
        if (s.req.method !== 'PUT') assert.ok((await exchange(port, s.req)).status < 300, s.name);
      baseline = await settledFiles(Number.MAX_SAFE_INTEGER);
    });
    after(async () => {
      await hub?.stop();
      await registry?.stop();
      await vendor?.cleanup();
      await rm(data, { recursive: true, force: true });
    });

    const storeFiles = (files: string[]) => files.filter((f) => f.startsWith(join(data, STORE_DIR)));
    // Connections to the blob registry are undici's pool (idle ones close after 4 s); checked apart, at the end.
    const registryConnection = () => `tcp -> ${registry ? new URL(registry.url).port : 'none'}`;
    const held = (files: string[]) => files.filter((f) => f !== registryConnection());

    /** The hub's open files (but pooled registry connections) once at most `limit` (polled: a socket goes a moment after the close). */
    async function settledFiles(limit: number, label = 'baseline'): Promise<string[]> {
      let files = held(await openFiles(hub.pid));
      for (let i = 0; i < 100 && (files.length > limit || storeFiles(files).length > 0); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        files = held(await openFiles(hub.pid));
      }
      assert.deepEqual(storeFiles(files), [], `${label}: the hub holds no store file open`);
      assert.ok(
        files.length <= limit,
        `${label}: the hub holds ${files.length} files, ${limit} before: ${JSON.stringify(files)}`,
      );
      return files;
    }

    /** Once idle, the hub keeps no connection to the blob registry: none is held by an upload or download left hanging. */
    async function assertRegistryIdle(): Promise<void> {
      const count = async () => (await openFiles(hub.pid)).filter((f) => f === registryConnection()).length;
      let open = await count();
      for (let i = 0; i < 100 && open > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        open = await count();
      }
      assert.equal(open, 0, 'connections to the blob registry left open');
    }

    /** The store's temp files once none is left (polled: an aborted upload is removed a moment after the hang-up). */
    async function settledTemp(): Promise<string[]> {
      const list = () => readdir(join(data, STORE_DIR, 'tmp')).catch(() => []);
      let files = await list();
      for (let i = 0; i < 100 && files.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        files = await list();
      }
      return files;
    }

    async function assertServing(label: string): Promise<void> {
      const res = await exchange(port, {
        method: 'GET',
        path: '/api/v1/apps',
        headers: { authorization: `Bearer ${admin}` },
      }).catch((e: unknown) => {
        assert.fail(`${label}: the hub does not answer (${String(e)}); its output: ${hub.output()}`);
      });
      assert.equal(res.status, 200, `${label}: ${res.body.toString()}`);
    }

    it('answers HEAD of a bundle with the headers of its GET and no body', async () => {
      const get = await exchange(port, streams[0]!.req);
      const head = await exchange(port, { ...streams[0]!.req, method: 'HEAD' });
      assert.equal(head.status, 200);
      for (const h of ['content-length', 'content-type', 'content-disposition'])
        assert.equal(head.headers[h], get.headers[h], h);
      assert.equal(Number(get.headers['content-length']), get.body.length);
      assert.equal(head.body.length, 0);
    });

    it('keeps serving, with no file left open, after a hang-up at any offset of any stream', async () => {
      for (const s of streams)
        for (const cut of s.cuts)
          for (const reset of [false, true]) {
            const label = `${s.name} ${describeCut(cut)}${reset ? ' (reset)' : ''}`;
            await hangUp(port, s.req, cut, reset);
            await assertServing(label);
            await settledFiles(baseline.length, label);
            assert.deepEqual(await settledTemp(), [], `${label}: no partial upload stays in the store`);
          }
      assert.doesNotMatch(hub.output(), /uncaught|unhandled/i);
      await assertRegistryIdle();
    });

    it('serves others while clients stall: requests that never read, and a request head never finished', async () => {
      const bundle = streams[0]!.req;
      const stalled = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const socket = connect(port, '127.0.0.1');
          socket.on('error', () => undefined);
          socket.pause();
          socket.write(
            `GET ${bundle.path} HTTP/1.1\r\nhost: x\r\nauthorization: ${String(bundle.headers?.authorization)}\r\n\r\n`,
          );
          return socket;
        }),
      );
      const slow = connect(port, '127.0.0.1');
      slow.on('error', () => undefined);
      slow.write('GET /api/v1/apps HTTP/1.1\r\nhost: x\r\n');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await assertServing('while 20 downloads stall and one request head is unfinished');
      for (const s of [...stalled, slow]) s.destroy();
      await assertServing('after the stalled clients left');
      await settledFiles(baseline.length, 'after the stalled clients left');
      await assertRegistryIdle();
    });
  });
