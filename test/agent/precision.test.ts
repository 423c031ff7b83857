// The agent's small guarantees: its lock (boot id + pid, one taker of a stale lock), a disk preflight that fails
// closed, the engine connection closed when a command ends, and a release that needs a newer agent refused first.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, mkdir, readFile, statfs, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { install, resume } from '../../src/agent/index.ts';
import { bootId } from '../../src/agent/lock.ts';
import { checkDisk, engineBytes } from '../../src/agent/preflight.ts';
import { StateDir } from '../../src/agent/state.ts';
import { AGENT_VERSION, RELEASE_SCHEMA, type ReleaseImage, type ReleaseManifest } from '../../src/release/index.ts';
import { MediaType, type Digest, type ImageManifest } from '../../src/oci/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, cleanupApp, makeBundle, removeDir, snapshot, tempDir } from '../helpers/agent.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

let work: string;
let vendor: Vendor;

before(async () => {
  work = await tempDir('skiff-precision');
  vendor = await makeVendor('skpre');
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

const lockFile = (dir: string): string => path.join(dir, 'lock');

test('a lock held by a live process on this boot is respected, naming its pid', async () => {
  const dir = path.join(work, 'live');
  await mkdir(dir);
  await writeFile(lockFile(dir), `${bootId()} ${process.ppid}\n`);
  await assert.rejects(new StateDir(dir).lock(), (e: unknown) => isSkiffError(e, 'CONFLICT') && e.message.includes(`pid ${process.ppid}`));
  assert.equal(await readFile(lockFile(dir), 'utf8'), `${bootId()} ${process.ppid}\n`, 'the holder keeps its lock');
});

test('a lock from another boot is stale even when its pid is alive now, and is taken over', async () => {
  const dir = path.join(work, 'other-boot');
  await mkdir(dir);
  await writeFile(lockFile(dir), `00000000-0000-0000-0000-000000000000 ${process.ppid}\n`);
  const unlock = await new StateDir(dir).lock();
  assert.equal(await readFile(lockFile(dir), 'utf8'), `${bootId()} ${process.pid}\n`);
  await unlock();
});

// Each taker says at once whether it got the lock; the one that did holds it until the test has every answer (a
// taker that starts late, on a loaded machine, then still finds the lock held rather than a released one).
const TAKER = `
import { access } from 'node:fs/promises';
import { StateDir } from './src/agent/state.ts';
const [dir, until, release] = process.argv.slice(1);
while (Date.now() < Number(until)) {}
try {
  const unlock = await new StateDir(dir).lock();
  console.log('locked');
  for (let i = 0; i < 600; i++) { if (await access(release).then(() => true, () => false)) break; await new Promise((r) => setTimeout(r, 100)); }
  await unlock();
} catch (e) { console.log(e.code); }
`;

/** Starts a taker; `answer` resolves with its first line, `done` when it has exited. */
function taker(dir: string, at: number, release: string): { answer: Promise<string>; done: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', TAKER, dir, String(at), release], { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const answer = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
  const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { answer, done };
}

test('agents that find the same stale lock at once: exactly one takes it', async () => {
  for (let round = 0; round < 3; round++) {
    const dir = path.join(work, `race-${round}`);
    await mkdir(dir);
    await writeFile(lockFile(dir), `${bootId()} 2147483646\n`);
    const at = Date.now() + 4000;
    const release = path.join(work, `race-${round}.release`);
    const takers = Array.from({ length: 4 }, () => taker(dir, at, release));
    const outcomes = await Promise.all(takers.map((t) => t.answer));
    await writeFile(release, '');
    await Promise.all(takers.map((t) => t.done));
    assert.equal(outcomes.filter((o) => o === 'locked').length, 1, `round ${round}: ${outcomes.join(', ')}`);
    assert.deepEqual(outcomes.filter((o) => o !== 'locked'), ['CONFLICT', 'CONFLICT', 'CONFLICT']);
  }
});

test('the disk preflight fails closed when it cannot measure, and says so when the engine data root is out of sight', async () => {
  const missing = path.join(work, 'no-such-dir');
  await assert.rejects(checkDisk({ stateDir: missing, engineRoot: work, incomingBytes: 1 }), (e: unknown) => isSkiffError(e, 'PREFLIGHT_FAILED') && e.message.includes(`cannot measure the free space of ${missing}`));
  await assert.rejects(checkDisk({ stateDir: work, engineRoot: new Error('connection reset'), incomingBytes: 1 }), (e: unknown) => isSkiffError(e, 'PREFLIGHT_FAILED') && e.message.includes('did not say where it keeps images (connection reset)'));
  const warned: string[] = [];
  await checkDisk({ stateDir: work, engineRoot: missing, incomingBytes: 1, warn: (l) => warned.push(l) });
  assert.equal(warned.length, 1);
  assert.match(warned[0]!, /could not check the free space of the Docker data root .*not checked/);
});

test("the engine's room is checked against the signed tar sizes of the layers it lacks, else estimated from the bundle", async () => {
  const { bavail, bsize } = await statfs(work);
  const free = bavail * bsize;
  // Half the free space arrives: three times that (the estimate) does not fit, the tars the release names do.
  const half = Math.floor(free / 2);
  await assert.rejects(checkDisk({ stateDir: work, engineRoot: work, incomingBytes: half }), (e: unknown) => isSkiffError(e, 'PREFLIGHT_FAILED') && e.message.includes('the images need about'));
  await checkDisk({ stateDir: work, engineRoot: work, incomingBytes: half, engineBytes: 1 << 20 });
  await assert.rejects(checkDisk({ stateDir: work, engineRoot: work, incomingBytes: 1, engineBytes: free + 1e9 }), (e: unknown) => isSkiffError(e, 'PREFLIGHT_FAILED') && e.message.includes(`need about ${Math.ceil((free + 1e9) / 1e6)} MB`));

  const d = (n: number): Digest => `sha256:${String(n).padStart(64, '0')}` as Digest;
  const manifests = new Map<Digest, ImageManifest>([
    [d(100), { config: { mediaType: MediaType.ociConfig, digest: d(10), size: 2 }, layers: [d(1), d(2)].map((digest) => ({ mediaType: MediaType.ociLayerGzip, digest, size: 1 })) }],
    [d(200), { config: { mediaType: MediaType.ociConfig, digest: d(20), size: 2 }, layers: [d(1), d(3)].map((digest) => ({ mediaType: MediaType.ociLayerGzip, digest, size: 1 })) }],
  ]);
  const manifestOf = async (digest: Digest): Promise<ImageManifest> => manifests.get(digest)!;
  const image = (manifestDigest: Digest, layerTars?: number[]): ReleaseImage => ({
    ref: 'r',
    manifestDigest,
    manifestMediaType: MediaType.ociManifest,
    configDigest: manifests.get(manifestDigest)!.config.digest,
    platform: { os: 'linux', architecture: 'amd64' },
    sizes: { manifest: 1, total: 1, ...(layerTars ? { layerTars } : {}) },
  });
  const base: Omit<ReleaseManifest, 'images'> = { schema: RELEASE_SCHEMA, app: 'a', version: '1.0.0', createdAt: '', channelHints: [], compose: {}, configSchema: [], hooks: {}, changelog: '', minAgentVersion: AGENT_VERSION, sbom: [] };
  const release = (images: Record<string, ReleaseImage>): ReleaseManifest => ({ ...base, images });
  const both = release({ web: image(d(100), [1000, 20]), worker: image(d(200), [1000, 300]) });
  assert.equal(await engineBytes(both, undefined, manifestOf), 1320, 'a layer two images share counts once');
  assert.equal(await engineBytes(both, release({ web: image(d(100), [1000, 20]) }), manifestOf), 300, "the installed release's layers are held already");
  assert.equal(await engineBytes(release({ web: image(d(100)) }), undefined, manifestOf), undefined, 'a release without tar sizes: no figure');
});

/** A unix socket in front of the engine's that counts the connections open through it. */
async function countingSocket(file: string): Promise<{ server: Server; open: () => number }> {
  const live = new Set<Socket>();
  const server = createServer((client) => {
    live.add(client);
    const upstream = connect('/var/run/docker.sock');
    client.pipe(upstream).pipe(client);
    const done = (): void => {
      live.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', done).on('error', done);
    upstream.on('close', done).on('error', done);
  });
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return { server, open: () => live.size };
}

test('an agent command closes its engine connection when it ends', async () => {
  const sock = path.join(work, 'engine.sock');
  const { server, open } = await countingSocket(sock);
  const saved = process.env['DOCKER_HOST'];
  process.env['DOCKER_HOST'] = `unix://${sock}`;
  try {
    await resume({ stateDir: path.join(work, 'closing'), ...FAST });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(open(), 0, 'no connection to the engine is left open');
  } finally {
    if (saved === undefined) delete process.env['DOCKER_HOST'];
    else process.env['DOCKER_HOST'] = saved;
    server.close();
  }
});

test('a release that needs a newer agent is refused before anything changes, naming both versions', async () => {
  await vendor.createVersion('1.0.0', { minAgentVersion: '99.1.0' });
  const bundle = (await makeBundle(vendor.store, vendor.app, '1.0.0', path.join(work, 'new-agent.skiff'))).file;
  const stateDir = path.join(work, 'too-old');
  const before = await snapshot(vendor.engine, vendor.app, stateDir);
  await assert.rejects(
    install({ stateDir, bundle, trustFile: vendor.rootJson, ...FAST }),
    (e: unknown) => isSkiffError(e, 'PREFLIGHT_FAILED') && e.message.includes('needs skiff agent 99.1.0 or newer') && e.message.includes(`this agent is ${AGENT_VERSION}`),
  );
  assert.deepEqual(await snapshot(vendor.engine, vendor.app, stateDir), before);
  await assert.rejects(access(stateDir), 'the refused first install left no state directory');
});
