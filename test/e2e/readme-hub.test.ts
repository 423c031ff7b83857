// The README's hub walkthrough, run exactly as written: the fenced block after `<!-- test: hub-walkthrough -->` runs
// with bash -e in a directory laid out as `npm run quickstart` leaves the repository (bin/, .quickstart/trust and
// .quickstart/store with netmon 1.0.0, 1.1.0 and 1.2.0), built from busybox images so it stays fast.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRelease } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust } from '../../src/trust/index.ts';
import { removeDir, tempDir } from '../helpers/agent.ts';
import { dockerCli, type DockerCli } from '../helpers/docker-cli.ts';
import { freePort } from '../helpers/ports.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MARK = '<!-- test: hub-walkthrough';

/** The first ```sh block after the marker comment. */
function walkthroughBlock(readme: string): string {
  const at = readme.indexOf(MARK);
  assert.ok(at >= 0, `README.md has no "${MARK}" comment`);
  const block = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(at));
  assert.ok(block?.[1], 'a ```sh block follows the marker');
  return block[1];
}

let vendor: Vendor;
let work: string;
let docker: DockerCli;

before(async () => {
  vendor = await makeVendor('skreadme');
  work = await tempDir('skiff-readme-hub');
  docker = await dockerCli();
  // What the quick start leaves: the checkout's bin/, and in .quickstart/ a trust dir and a store holding netmon.
  await symlink(path.join(REPO, 'bin'), path.join(work, 'bin'));
  const qs = path.join(work, '.quickstart');
  await initTrust(path.join(qs, 'trust'), { expiresDays: 30 });
  const store = new FsBlobStore(path.join(qs, 'store'));
  for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
    const composeFile = await vendor.composeFor(version, version === '1.2.0' ? { health: 'fail' } : {});
    await createRelease({ composeFile, app: 'netmon', version, trustDir: path.join(qs, 'trust'), store, engine: vendor.engine });
  }
});

after(async () => {
  await docker?.cleanup();
  await vendor?.cleanup();
  await removeDir(work);
});

interface BlockRun {
  readonly code: number | null;
  readonly output: string;
}

/** bash -e (-x: a failure shows its line) on the block in its own process group, so what it leaves running (the hub) is stopped afterwards. */
function runBlock(script: string, env: Record<string, string>): Promise<BlockRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-x', script], { cwd: work, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (c: Buffer): void => void (output += c.toString());
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const stopGroup = (): void => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(stopGroup, 300_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      stopGroup();
      resolve({ code, output });
    });
  });
}

test("the README's hub walkthrough runs as written after the quick start", async () => {
  const block = walkthroughBlock(await readFile(path.join(REPO, 'README.md'), 'utf8'));
  const script = path.join(work, 'walkthrough.sh');
  await writeFile(script, `${block}\n`);
  const port = await freePort();
  const r = await runBlock(script, { HUB_PORT: String(port), DOCKER_CONFIG: docker.configDir, SKIFF_HUB: '', SKIFF_TOKEN: '' });
  await docker.docker('rmi', `127.0.0.1:${port}/netmon/web:1.1.0`);
  assert.equal(r.code, 0, `the walkthrough failed:\n${r.output}\nhub log:\n${await readFile(path.join(work, '.quickstart', 'hub.log'), 'utf8').catch(() => '(none)')}`);

  assert.match(r.output, /admin API token: skh_/);
  assert.match(r.output, /customer token: skc_/);
  assert.match(r.output, /audit log intact: \d+ entries/);
  assert.match(r.output, /Login Succeeded/);
  assert.match(r.output, /wrote \.quickstart\/netmon-1\.1\.0-delta\.skiff: netmon@1\.1\.0 \(delta from 1\.0\.0\)/);
  assert.match(r.output, /verified netmon@1\.1\.0/);
  assert.ok((await stat(path.join(work, '.quickstart', 'netmon-1.1.0-delta.skiff'))).size > 0);
});

test('the walkthrough uses the paths the quick start leaves, and says which token each part uses', async () => {
  const block = walkthroughBlock(await readFile(path.join(REPO, 'README.md'), 'utf8'));
  const quickstart = await readFile(path.join(REPO, 'scripts', 'quickstart.sh'), 'utf8');
  assert.match(quickstart, /dir=\$\{SKIFF_QUICKSTART_DIR:-\$PWD\/\.quickstart\}/);
  for (const made of ['--dir "$dir/trust"', '--store "$dir/store"']) assert.ok(quickstart.includes(made), `the quick start makes ${made}`);
  assert.match(block, /admin token \(skh_…\)/);
  assert.match(block, /token \(skc_…\)/);
});
