// Images go into the engine by `docker load` as soon as their own blobs are verified, while the bundle is still read;
// a tampered byte after that makes the install fail and takes the images loaded early out of the engine again.
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { install } from '../../src/agent/index.ts';
import { DockerEngine, type AgentEngine } from '../../src/engine/index.ts';
import type { StoredRelease } from '../../src/release/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, cleanupApp, forgetImages, makeBundle, removeDir, tempDir } from '../helpers/agent.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;
let work: string;
let release: StoredRelease;
let bundle: Buffer;

before(async () => {
  vendor = await makeVendor('skovl');
  work = await tempDir('skiff-overlapped-load');
  release = await vendor.createVersion('1.0.0');
  bundle = await readFile((await makeBundle(vendor.store, vendor.app, '1.0.0', path.join(work, 'v1.skiff'))).file);
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

const imageIds = (): string[] => Object.values(release.manifest.images).map((i) => `sha256:${i.configDigest.slice(7)}`);

/** The real engine, recording when each image load is asked for and which images exist at that moment. */
function recordingEngine(loads: string[]): () => Promise<AgentEngine> {
  return async () => {
    const real = await DockerEngine.connect();
    return new Proxy(real, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'imageLoad' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          loads.push(String(Date.now()));
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
  };
}

/** Tar entries in order: name, data offset and size (ustar, names < 100 bytes). */
function tarEntries(tar: Buffer): { name: string; data: number; size: number }[] {
  const out = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar.toString('utf8', at, at + 100).replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(tar.toString('utf8', at + 124, at + 136).replace(/\0.*$/s, '').trim() || '0', 8);
    out.push({ name, data: at + 512, size });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

test('a byte flipped in the last blob of the bundle: the image whose blobs came before was loaded early, and is gone again after the refusal', async () => {
  await forgetImages(vendor.engine, Object.values(release.manifest.images).map((i) => i.configDigest));
  const last = tarEntries(bundle).filter((e) => e.name.startsWith('blobs/sha256/')).at(-1);
  assert.ok(last && last.size > 0);
  const bytes = Buffer.from(bundle);
  const i = last.data + Math.floor(last.size / 2);
  bytes[i] = (bytes[i] ?? 0) ^ 0xff;
  const file = path.join(work, 'tampered.skiff');
  await writeFile(file, bytes);
  const loads: string[] = [];
  const stateDir = path.join(work, 'state-tampered');
  await assert.rejects(install({ stateDir, bundle: file, trustFile: vendor.rootJson, ...FAST, engine: recordingEngine(loads) }), (e: unknown) => isSkiffError(e, 'DIGEST_MISMATCH'));
  assert.ok(loads.length >= 1, 'an image was loaded while the bundle was still read');
  for (const id of imageIds()) assert.equal(await vendor.engine.imageInspect(id), undefined, `${id} is not left in the engine`);
  assert.deepEqual(await readdir(path.join(stateDir, 'staging')).catch(() => []), [], 'no staging left behind');
  assert.equal(await readFile(path.join(stateDir, 'state.json'), 'utf8').catch(() => undefined), undefined, 'no state written');
});

test('the intact bundle: every image is loaded while the bundle is read, the signed config digest is the image ID, and the app runs', async () => {
  await forgetImages(vendor.engine, Object.values(release.manifest.images).map((i) => i.configDigest));
  const loads: string[] = [];
  const file = path.join(work, 'intact.skiff');
  await writeFile(file, bundle);
  const r = await install({ stateDir: path.join(work, 'state-ok'), bundle: file, trustFile: vendor.rootJson, ...FAST, engine: recordingEngine(loads) });
  assert.equal(r.outcome, 'installed');
  assert.equal(loads.length, Object.keys(release.manifest.images).length, 'one load per image, none again from the store');
  for (const [service, img] of Object.entries(release.manifest.images)) {
    const tagged = await vendor.engine.imageInspect(`skiff/${vendor.app}/${service}:1.0.0`);
    assert.equal(tagged?.id, `sha256:${img.configDigest.slice(7)}`);
  }
});
