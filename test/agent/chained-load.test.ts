// An image with layers big enough for several links goes into the engine as a chain of loads (chained-load.ts): it
// ends under its signed ID with no link image left, a tampered layer mid-chain leaves nothing, and the link images a
// killed agent left are removed when the next agent starts.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { open, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { install, resume } from '../../src/agent/index.ts';
import { LINK_BYTES, PARTIAL_LOAD_LABEL, linkEnds } from '../../src/agent/chained-load.ts';
import { DockerEngine, type AgentEngine } from '../../src/engine/index.ts';
import { parseImageManifest } from '../../src/oci/index.ts';
import type { StoredRelease } from '../../src/release/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, FAST_FLAGS, cleanupApp, forgetImages, makeBundle, page, removeDir, tempDir } from '../helpers/agent.ts';
import { buildBusyboxImage, buildLayeredImage } from '../helpers/engine.ts';
import { noise } from '../helpers/tar-layers.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';
import { tarEntries } from '../bundle/fixture.ts';

const CLI = path.resolve(import.meta.dirname, '../../src/cli/main.ts');
const NOISE_BYTES = LINK_BYTES + 2 ** 20;

let vendor: Vendor;
let work: string;
let release: StoredRelease;
let bundle: Buffer;
/** The web image's layer entries in the bundle, bottom first. */
let webLayers: { name: string; data: number; size: number }[];

before(async () => {
  vendor = await makeVendor('skchn');
  work = await tempDir('skiff-chained-load');
  // busybox, then three layers of incompressible noise, each over LINK_BYTES: three links (two of them link images).
  const repo = `skiff-test/${vendor.app}-chained`;
  const tags = [`${repo}:base`, `${repo}:a`, `${repo}:b`, `${repo}:c`];
  await buildBusyboxImage(vendor.engine, tags[0]!);
  for (const [i, name] of ['a', 'b', 'c'].entries()) {
    const files: Record<string, string | Buffer> = { [`/noise/${name}`]: noise(`${vendor.app}-${name}`, NOISE_BYTES) };
    if (name === 'c') files['/www/index.html'] = 'chained 1.0.0\n';
    await buildLayeredImage(vendor.engine, tags[i + 1]!, tags[i]!, files, name === 'c' ? { cmd: ['httpd', '-f', '-p', '8080', '-h', '/www'] } : {});
  }
  release = await vendor.createVersion('1.0.0', { edit: (doc) => (doc.services.web!.image = tags[3]) });
  for (const tag of tags.reverse()) await vendor.engine.imageRemove(tag, { force: true });
  bundle = await readFile((await makeBundle(vendor.store, vendor.app, '1.0.0', path.join(work, 'v1.skiff'))).file);
  const manifest = parseImageManifest(await readFile(vendor.store.blobPath(release.manifest.images.web!.manifestDigest)));
  const entries = new Map(tarEntries(bundle).map((e) => [e.name, e]));
  webLayers = manifest.layers.map((l) => entries.get(`blobs/sha256/${l.digest.slice(7)}`)!);
  assert.deepEqual(linkEnds(manifest.layers.map((l) => l.size), 0), [2, 3, 4], 'the web image makes three links');
  assert.ok(webLayers.every((e, i) => e && (i === 0 || e.data > webLayers[i - 1]!.data)), 'the bundle carries the web layers bottom first');
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

const webId = (): string => `sha256:${release.manifest.images.web!.configDigest.slice(7)}`;
const partials = async (): Promise<string[]> => (await vendor.engine.imageList({ label: [`${PARTIAL_LOAD_LABEL}=${vendor.app}`] })).map((i) => i.id);
const forgetRelease = (): Promise<void> => forgetImages(vendor.engine, Object.values(release.manifest.images).map((i) => i.configDigest));

/** The real engine, counting the image loads that ended. */
function countingEngine(ended: { n: number }): () => Promise<AgentEngine> {
  return async () => {
    const real = await DockerEngine.connect();
    return new Proxy(real, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'imageLoad' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (tar: Readable, signal?: AbortSignal) => {
          const through = tar.pipe(new PassThrough());
          tar.on('error', (e) => through.destroy(e));
          return (value as (t: Readable, s?: AbortSignal) => Promise<unknown>).call(target, through, signal).finally(() => ended.n++);
        };
      },
    });
  };
}

const mkfifo = async (file: string): Promise<void> => void (await promisify(execFile)('mkfifo', [file]));

/** Writes `bytes` into FIFO `file`: up to `pause`, then the rest if `resumeWhen()` says so (a closed pipe is fine). */
async function feedFifo(file: string, bytes: Buffer, pause: number, resumeWhen: () => Promise<boolean>): Promise<void> {
  const out = await open(file, 'w');
  try {
    await out.write(bytes.subarray(0, pause));
    if (await resumeWhen())
      await out.write(bytes.subarray(pause)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') throw e;
      });
  } finally {
    await out.close();
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 120_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await check()); await sleep(50)) if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
}

test('a byte flipped in the middle link: the first link was loaded, and the refusal leaves no link image and no image', async () => {
  await forgetRelease();
  const middle = webLayers[2]!;
  const bytes = Buffer.from(bundle);
  const i = middle.data + Math.floor(middle.size / 2);
  bytes[i] = (bytes[i] ?? 0) ^ 0xff;
  let linkImages: string[] = [];
  const file = path.join(work, 'tampered.fifo');
  await mkfifo(file);
  const writer = feedFifo(file, bytes, middle.data, async () => {
    // The first link is in: its image exists while the next link waits for the middle layer.
    await until('the first link', async () => (linkImages = await partials()).length > 0);
    return true;
  });
  const stateDir = path.join(work, 'state-tampered');
  await assert.rejects(install({ stateDir, bundle: file, trustFile: vendor.rootJson, ...FAST }), (e: unknown) => isSkiffError(e, 'DIGEST_MISMATCH'));
  await writer;
  assert.equal(linkImages.length, 1, 'one link image existed mid-chain');
  assert.deepEqual(await partials(), [], 'no link image is left');
  assert.equal(await vendor.engine.imageInspect(webId()), undefined, 'the web image is not in the engine');
  assert.deepEqual(await readdir(path.join(stateDir, 'staging')).catch(() => []), [], 'no staging left behind');
});

test('an agent killed mid-chain leaves its link image; the next agent start removes it', async () => {
  await forgetRelease();
  const file = path.join(work, 'killed.fifo');
  const stateDir = path.join(work, 'state-killed');
  await mkfifo(file);
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'agent', 'install', file, '--state', stateDir, '--trust', vendor.rootJson, ...FAST_FLAGS], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const writing = feedFifo(file, bundle, webLayers[2]!.data, async () => {
    await until('the first link', async () => (await partials()).length > 0);
    child.kill('SIGKILL');
    return false;
  });
  await writing;
  assert.equal(await exited, 'SIGKILL');
  assert.equal((await partials()).length, 1, 'the killed agent left its link image');
  await resume({ stateDir, ...FAST });
  assert.deepEqual(await partials(), [], 'the next agent start removed it');
});

test('the intact bundle: the big image goes in as three loads, under its signed ID, no link image is left, and the app runs', async () => {
  await forgetRelease();
  const ended = { n: 0 };
  const file = path.join(work, 'intact.skiff');
  await writeFile(file, bundle);
  const r = await install({ stateDir: path.join(work, 'state-ok'), bundle: file, trustFile: vendor.rootJson, ...FAST, engine: countingEngine(ended) });
  assert.equal(r.outcome, 'installed');
  assert.equal(ended.n, Object.keys(release.manifest.images).length + 2, 'three loads for web, one for the worker');
  assert.equal((await vendor.engine.imageInspect(`skiff/${vendor.app}/web:1.0.0`))?.id, webId());
  assert.deepEqual(await partials(), [], 'no link image is left');
  assert.equal(await page(vendor.webPort), 'chained 1.0.0');
});
