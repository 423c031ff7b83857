// Images go into the engine by `docker load` as soon as their own blobs are verified, while the bundle is still read;
// a tampered byte after that makes the install fail and takes the images loaded early out of the engine again.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { open, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { install } from '../../src/agent/index.ts';
import { DockerEngine, type AgentEngine } from '../../src/engine/index.ts';
import { releaseBlobs, type StoredRelease } from '../../src/release/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, cleanupApp, forgetImages, makeBundle, removeDir, tempDir } from '../helpers/agent.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';
import { tarEntries } from '../bundle/fixture.ts';

let vendor: Vendor;
let work: string;
let release: StoredRelease;
let bundle: Buffer;
let v2: StoredRelease;
let v2File: string;

before(async () => {
  vendor = await makeVendor('skovl');
  work = await tempDir('skiff-overlapped-load');
  release = await vendor.createVersion('1.0.0');
  bundle = await readFile((await makeBundle(vendor.store, vendor.app, '1.0.0', path.join(work, 'v1.skiff'))).file);
  v2 = await vendor.createVersion('2.0.0');
  v2File = (await makeBundle(vendor.store, vendor.app, '2.0.0', path.join(work, 'v2.skiff'))).file;
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

const imageIds = (): string[] => Object.values(release.manifest.images).map((i) => `sha256:${i.configDigest.slice(7)}`);

/** The real engine, recording the bytes of each image load's archive (and, in `calls`, network, rename and load-end calls in order). */
function recordingEngine(loads: number[], calls: string[] = []): () => Promise<AgentEngine> {
  return async () => {
    const real = await DockerEngine.connect();
    return new Proxy(real, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if ((prop === 'networkCreate' || prop === 'containerRename') && typeof value === 'function')
          return (...args: unknown[]) => (calls.push(prop), (value as (...a: unknown[]) => unknown).apply(target, args));
        if (prop !== 'imageLoad' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (tar: Readable, signal?: AbortSignal) => {
          const at = loads.push(0) - 1;
          const counted = tar.pipe(new PassThrough({ transform: (chunk: Buffer, _enc, cb) => ((loads[at]! += chunk.length), cb(null, chunk)) }));
          tar.on('error', (e) => counted.destroy(e));
          return (value as (t: Readable, s?: AbortSignal) => Promise<unknown>).call(target, counted, signal).finally(() => calls.push('imageLoad:end'));
        };
      },
    });
  };
}

test('an image streams into the engine while its own last layer is still read: the verified blobs before it are sent, the tampered one never', async () => {
  await forgetImages(vendor.engine, Object.values(release.manifest.images).map((i) => i.configDigest));
  const layers = new Map((await releaseBlobs(vendor.store, release.manifest)).filter((b) => b.kind === 'layer').map((b) => [`blobs/sha256/${b.digest.slice(7)}`, b.services[0]]));
  const last = tarEntries(bundle).filter((e) => layers.has(e.name)).at(-1);
  assert.ok(last && last.size > 0, 'the bundle carries a layer');
  const owner = layers.get(last.name)!;
  const services = [...new Set(Object.keys(release.manifest.images).sort().map((s) => release.manifest.images[s]!.manifestDigest))];
  const at = services.indexOf(release.manifest.images[owner]!.manifestDigest);
  const bytes = Buffer.from(bundle);
  const i = last.data + Math.floor(last.size / 2);
  bytes[i] = (bytes[i] ?? 0) ^ 0xff;
  const file = path.join(work, 'streamed.fifo');
  await promisify(execFile)('mkfifo', [file]);
  const loads: number[] = [];
  let sentBefore = 0;
  const writer = (async () => {
    const out = await open(file, 'w');
    try {
      await out.write(bytes.subarray(0, last.data));
      // The owner's load must be under way with its bytes flowing although its last layer is not verified yet.
      for (let waited = 0; !((loads[at] ?? 0) > 0) && waited < 60_000; waited += 50) await sleep(50);
      await sleep(500);
      sentBefore = loads[at] ?? 0;
      await out.write(bytes.subarray(last.data)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') throw e;
      });
    } finally {
      await out.close();
    }
  })();
  const stateDir = path.join(work, 'state-streamed');
  await assert.rejects(install({ stateDir, bundle: file, trustFile: vendor.rootJson, ...FAST, engine: recordingEngine(loads) }), (e: unknown) => isSkiffError(e, 'DIGEST_MISMATCH'));
  await writer;
  assert.ok(sentBefore > 0, `the load of ${owner}'s image streamed ${sentBefore} bytes before its last layer was verified`);
  assert.ok(loads[at]! < sentBefore + last.size, 'the tampered layer did not reach the engine');
  for (const id of imageIds()) assert.equal(await vendor.engine.imageInspect(id), undefined, `${id} is not left in the engine`);
  assert.deepEqual(await readdir(path.join(stateDir, 'staging')).catch(() => []), [], 'no staging left behind');
});

test('a byte flipped in the last blob of the bundle: the image whose blobs came before was loaded early, and is gone again after the refusal', async () => {
  await forgetImages(vendor.engine, Object.values(release.manifest.images).map((i) => i.configDigest));
  const last = tarEntries(bundle).filter((e) => e.name.startsWith('blobs/sha256/')).at(-1);
  assert.ok(last && last.size > 0);
  const bytes = Buffer.from(bundle);
  const i = last.data + Math.floor(last.size / 2);
  bytes[i] = (bytes[i] ?? 0) ^ 0xff;
  // Through a pipe: the tampered blob is written only once an image is being loaded, so the order is certain.
  const file = path.join(work, 'tampered.fifo');
  await promisify(execFile)('mkfifo', [file]);
  const loads: number[] = [];
  const writer = (async () => {
    const out = await open(file, 'w');
    try {
      await out.write(bytes.subarray(0, last.data));
      for (let waited = 0; loads.length === 0 && waited < 120_000; waited += 50) await sleep(50);
      // The agent stops reading at the bad blob: the end of the file may find the pipe closed.
      await out.write(bytes.subarray(last.data)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') throw e;
      });
    } finally {
      await out.close();
    }
  })();
  const stateDir = path.join(work, 'state-tampered');
  await assert.rejects(install({ stateDir, bundle: file, trustFile: vendor.rootJson, ...FAST, engine: recordingEngine(loads) }), (e: unknown) => isSkiffError(e, 'DIGEST_MISMATCH'));
  await writer;
  assert.ok(loads.length >= 1, 'an image was loaded while the bundle was still read');
  for (const id of imageIds()) assert.equal(await vendor.engine.imageInspect(id), undefined, `${id} is not left in the engine`);
  assert.deepEqual(await readdir(path.join(stateDir, 'staging')).catch(() => []), [], 'no staging left behind');
  assert.equal(await readFile(path.join(stateDir, 'state.json'), 'utf8').catch(() => undefined), undefined, 'no state written');
});

test('the intact bundle: every image is loaded while the bundle is read (the network created meanwhile), the signed config digest is the image ID, and the app runs', async () => {
  await forgetImages(vendor.engine, Object.values(release.manifest.images).map((i) => i.configDigest));
  const loads: number[] = [];
  const calls: string[] = [];
  const file = path.join(work, 'intact.skiff');
  await writeFile(file, bundle);
  const r = await install({ stateDir: path.join(work, 'state-ok'), bundle: file, trustFile: vendor.rootJson, ...FAST, engine: recordingEngine(loads, calls) });
  assert.equal(r.outcome, 'installed');
  assert.ok(calls.includes('networkCreate') && calls.indexOf('networkCreate') < calls.lastIndexOf('imageLoad:end'), `the network is created while the images load: ${calls.join(', ')}`);
  assert.ok(!calls.includes('containerRename'), 'a first install creates each container under its final name');
  assert.equal(loads.length, Object.keys(release.manifest.images).length, 'one load per image, none again from the store');
  for (const [service, img] of Object.entries(release.manifest.images)) {
    const tagged = await vendor.engine.imageInspect(`skiff/${vendor.app}/${service}:1.0.0`);
    assert.equal(tagged?.id, `sha256:${img.configDigest.slice(7)}`);
  }
});

test('an upgrade loads only the layers the engine lacks: the base layer the installed release shares is not sent again', async () => {
  await forgetImages(vendor.engine, Object.entries(v2.manifest.images).filter(([s]) => s === 'web').map(([, i]) => i.configDigest));
  const loads: number[] = [];
  const r = await install({ stateDir: path.join(work, 'state-ok'), bundle: v2File, ...FAST, engine: recordingEngine(loads) });
  assert.equal(r.outcome, 'upgraded');
  const web = v2.manifest.images.web!;
  const webBlobs = (await releaseBlobs(vendor.store, v2.manifest)).filter((b) => b.kind === 'layer' || b.digest === web.configDigest);
  const webLayers = new Set((await releaseBlobs(vendor.store, { ...v2.manifest, images: { web } })).map((b) => b.digest));
  const allBytes = webBlobs.filter((b) => webLayers.has(b.digest)).reduce((n, b) => n + b.size, 0);
  assert.equal(loads.length, 1, 'one load: the web image (the worker is unchanged)');
  assert.ok(loads[0]! > 0 && loads[0]! < allBytes, `the archive (${loads[0]} bytes) leaves out the shared base layer (web's blobs: ${allBytes} bytes)`);
  assert.equal((await vendor.engine.imageInspect(`skiff/${vendor.app}/web:2.0.0`))?.id, `sha256:${web.configDigest.slice(7)}`);
});
