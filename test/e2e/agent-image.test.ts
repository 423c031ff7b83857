// The agent as a container image: scripts/build-agent-image.sh builds skiff-agent:VERSION from this repository with
// no registry (Node 24 from npm, the libraries it links, the built CLI), and the agent runs from it against the real
// engine through the mounted Docker socket: installs a busybox app from a bundle, then reports it running.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { AgentStatus } from '../../src/agent/index.ts';
import { AGENT_IMAGE, createRelease } from '../../src/release/index.ts';
import { cleanupApp, forgetImages, makeBundle, page, removeDir, tempDir } from '../helpers/agent.ts';
import { uniqueName } from '../helpers/engine.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program without a shell; never throws on a non-zero exit. */
function run(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number')
        return reject(
          new Error(`${cmd} ${args.join(' ')} did not finish (${error.message})\n${stderr}`, {
            cause: error,
          }),
        );
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

const ROOT = path.resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

let vendor: Vendor;
let work: string;
let image: string;
let imageId: string;
let carried: string | undefined;
const volume = uniqueName('skiff-agent-state');
const containers: string[] = [];

before(async () => {
  const repo = uniqueName('skiff-agent-test');
  image = `${repo}:${VERSION}`;
  const built = await run('bash', [path.join(ROOT, 'scripts/build-agent-image.sh'), repo], 600_000);
  assert.equal(built.code, 0, built.stderr);
  imageId = built.stdout.trim();
  assert.match(imageId, /^sha256:[0-9a-f]{64}$/, `the script prints the image id: ${built.stdout}`);

  vendor = await makeVendor('skimg');
  work = await tempDir('skiff-agent-image');
  const release = await vendor.createVersion('1.0.0');
  await mkdir(path.join(work, 'in'));
  await makeBundle(vendor.store, vendor.app, '1.0.0', path.join(work, 'in', 'x.skiff'));
  await copyFile(vendor.rootJson, path.join(work, 'in', 'root.json'));
  // The agent must load the images from its bundle, as on a customer host.
  await forgetImages(
    vendor.engine,
    Object.values(release.manifest.images).map((i) => i.configDigest),
  );
});

after(async () => {
  for (const c of containers) await run('docker', ['rm', '-f', c]);
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await run('docker', ['volume', 'rm', '-f', volume]);
  if (image) await run('docker', ['image', 'rm', '-f', image]);
  if (carried) await run('docker', ['image', 'rm', '-f', carried]);
  await removeDir(work);
});

/** `skiff agent install` of a bundle in the mounted dir, with the test's short timeouts. */
const installArgs = (bundle: string, state: string): string[] =>
  ['agent', 'install', bundle, '--state', state, '--trust', '/in/root.json', '--stop-timeout', '1', '--health-timeout', '20'];

/** `docker run --rm` of the agent image with the Docker socket, the state volume and the bundle dir mounted. */
function agent(args: readonly string[], network = 'host', from = image): Promise<Run> {
  const name = uniqueName('skiff-agent-run');
  containers.push(name);
  const mounts = [
    '-v',
    '/var/run/docker.sock:/var/run/docker.sock',
    '-v',
    `${volume}:/state`,
    '-v',
    `${path.join(work, 'in')}:/in:ro`,
  ];
  return run(
    'docker',
    ['run', '--rm', '--name', name, `--network=${network}`, ...mounts, from, ...args],
    300_000,
  );
}

test('the image runs Node 24, is small, and building it again changes nothing', async () => {
  const node = await run('docker', [
    'run',
    '--rm',
    '--entrypoint',
    '/usr/local/bin/node',
    image,
    '--version',
  ]);
  assert.equal(node.code, 0, node.stderr);
  assert.match(node.stdout.trim(), /^v24\.\d+\.\d+$/);
  const cli = await run('docker', ['run', '--rm', image, '--version']);
  assert.equal(cli.stdout.trim(), VERSION);

  const size = Number(
    (await run('docker', ['image', 'inspect', '--format', '{{.Size}}', image])).stdout.trim(),
  );
  assert.ok(size < 160_000_000, `the image is ${size} bytes; it should stay under 160 MB`);

  const again = await run(
    'bash',
    [path.join(ROOT, 'scripts/build-agent-image.sh'), image.split(':')[0] ?? ''],
    600_000,
  );
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), imageId, 'the same rootfs gives the same image');
});

test('the agent from the image, without the host network, installs the app through the mounted socket, and status from the image shows it running', async () => {
  // Images reach the engine by `docker load` over the socket: no port of the agent's is dialled.
  const r = await agent(installArgs('/in/x.skiff', '/state/app'), 'none');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${vendor.app}: 1\\.0\\.0 installed, healthy`));
  assert.equal(await page(vendor.webPort), 'web 1.0.0');

  const st = await agent(['agent', 'status', '--state', '/state/app', '--json']);
  assert.equal(st.code, 0, st.stderr);
  const s = JSON.parse(st.stdout) as AgentStatus;
  assert.equal(s.app, vendor.app);
  assert.equal(s.current?.version, '1.0.0');
  assert.deepEqual(
    s.services.map((x) => [x.service, x.state]),
    [
      ['web', 'running'],
      ['worker', 'running'],
    ],
  );
  assert.equal(s.services.find((x) => x.service === 'web')?.health, 'healthy');
});

test('the image carries the agent only: the hub is one line saying so, without better-sqlite3', async () => {
  const r = await agent(['hub', 'serve', '--data', '/state/hub', '--listen', '127.0.0.1:0']);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr.trim(),
    /^skiff: skiff hub is not part of this install \([@\w/.-]+ is missing\): the skiff-agent image carries the agent only/,
  );
  const ls = await run('docker', [
    'run',
    '--rm',
    '--entrypoint',
    '/usr/local/bin/node',
    image,
    '-e',
    "require('fs').accessSync('/opt/skiff/node_modules/better-sqlite3')",
  ]);
  assert.notEqual(ls.code, 0, 'better-sqlite3 is not in the image');
});

// Last: it removes the built image, so that only the bundle can bring the agent back.
test('a release can carry the agent image: docker load of its full bundle loads it, and that agent upgrades the app from the same bundle', async () => {
  // before() removed the app's images from the engine; any full bundle brings them back now (worker is unchanged in 1.1.0).
  const back = await run('docker', ['load', '-i', path.join(work, 'in', 'x.skiff')]);
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stdout, new RegExp(`Loaded image: ${vendor.workerImage.replace(/[.]/g, '\\.')}`));
  carried = `${uniqueName('skiff-agent-carried')}:${VERSION}`;
  assert.equal((await run('docker', ['tag', image, carried])).code, 0);
  const { release } = await createRelease({
    composeFile: await vendor.composeFor('1.1.0'),
    app: vendor.app,
    version: '1.1.0',
    trustDir: vendor.trustDir,
    store: vendor.store,
    engine: vendor.engine,
    agentImage: carried,
  });
  assert.equal(release.manifest.images[AGENT_IMAGE]?.ref, carried, 'the signed release names the agent image');
  const bundle = path.join(work, 'in', 'with-agent.skiff');
  await makeBundle(vendor.store, vendor.app, '1.1.0', bundle);
  const { [AGENT_IMAGE]: _agent, ...appImages } = release.manifest.images;
  await forgetImages(vendor.engine, Object.values(appImages).map((i) => i.configDigest));
  assert.equal((await run('docker', ['image', 'rm', '-f', carried, image])).code, 0);
  assert.notEqual((await run('docker', ['image', 'inspect', carried])).code, 0, 'no agent image is left in the engine');

  const loaded = await run('docker', ['load', '-i', bundle]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout, new RegExp(`Loaded image: ${carried.replace(/[.]/g, '\\.')}`));
  const r = await agent(installArgs('/in/with-agent.skiff', '/state/app'), 'host', carried);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${vendor.app}: 1\\.0\\.0 → 1\\.1\\.0 upgraded, healthy`));
  assert.equal(await page(vendor.webPort), 'web 1.1.0');
});
