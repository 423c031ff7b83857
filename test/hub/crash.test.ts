// Hub killed mid-push (SIGKILL of a real `skiff hub serve`): after a restart no half release is listed, every stored
// blob hashes to its name, and rerunning the push sends only the blobs that are missing.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { pushRelease } from '../../src/hub-client/index.ts';
import { HubClient } from '../../src/hub-client/index.ts';
import { STORE_DIR } from '../../src/hub/init.ts';
import { HashingStream, type Digest } from '../../src/oci/digest.ts';
import { releaseBlobs } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { makeSyntheticVendor, type SyntheticVendor } from './release-fixture.ts';

const MB = 1024 * 1024;

async function storedBlobs(store: FsBlobStore): Promise<Digest[]> {
  const out: Digest[] = [];
  for await (const d of store.list()) out.push(d);
  return out;
}

async function hashOf(store: FsBlobStore, digest: Digest): Promise<Digest> {
  const h = new HashingStream();
  await pipeline(await store.get(digest), h, new Writable({ write: (_c, _e, cb) => cb() }));
  return h.digest();
}

describe('hub killed during a push', () => {
  let data: string;
  let token: string;
  let vendor: SyntheticVendor;
  let hub: HubProcess | undefined;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'skiff-crash-'));
    token = (await hubInit({ data })).token;
    vendor = await makeSyntheticVendor({ baseLayerSize: 6 * MB });
  });
  after(async () => {
    await hub?.stop();
    await vendor.cleanup();
    await rm(data, { recursive: true, force: true });
  });

  it('leaves no half release and no corrupt blob, and the push resumes', async () => {
    hub = await startHubProcess({ data });
    await new HubClient({ hub: hub.url, token }).post('/apps', { name: vendor.app, root: vendor.rootJson });
    const release = await vendor.release('1.0.0', { webLayerSize: 6 * MB });
    const all = await releaseBlobs(vendor.store, release.manifest);
    const total = all.reduce((a, b) => a + b.size, 0);

    const victim = hub;
    let killed = false;
    const push = pushRelease({
      conn: { hub: victim.url, token },
      store: vendor.store,
      app: vendor.app,
      version: '1.0.0',
      onProgress: (done) => {
        if (!killed && done > total / 2) {
          killed = true;
          process.kill(victim.pid, 'SIGKILL');
        }
      },
    });
    await assert.rejects(push, 'the push fails when the hub dies');
    assert.ok(killed, 'the hub was killed during the upload');
    await victim.stop();

    hub = await startHubProcess({ data });
    const client = new HubClient({ hub: hub.url, token });
    const listed = await client.get<{ releases: unknown[] }>(`/apps/${vendor.app}/releases`);
    assert.deepEqual(listed.releases, [], 'no half release is listed');

    const store = new FsBlobStore(join(data, STORE_DIR));
    const present = await storedBlobs(store);
    for (const d of present) assert.equal(await hashOf(store, d), d, `blob ${d} is complete`);
    const missing = all.filter((b) => !present.includes(b.digest)).map((b) => b.digest);
    assert.ok(missing.length > 0 && missing.length < all.length, `some blobs arrived before the kill, some not (${missing.length} of ${all.length} missing)`);

    const resumed = await pushRelease({ conn: { hub: hub.url, token }, store: vendor.store, app: vendor.app, version: '1.0.0' });
    assert.deepEqual(new Set(resumed.sent), new Set(missing), 'only the missing blobs are sent again');
    assert.equal(resumed.skipped.length, all.length - missing.length);
    const after = await client.get<{ releases: { version: string; digest: string }[] }>(`/apps/${vendor.app}/releases`);
    assert.deepEqual(after.releases.map((r) => [r.version, r.digest]), [['1.0.0', release.digest]]);
    for (const d of await storedBlobs(store)) assert.equal(await hashOf(store, d), d);
  });
});
