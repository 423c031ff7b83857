// The CI examples for real: the shell steps of examples/ci/Jenkinsfile and github-actions.yml, run in order against a
// `skiff hub serve` on 127.0.0.1 with busybox-built images; each release ends up pushed and promoted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { HubClient } from '../../src/hub-client/index.ts';
import { getRelease } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CI = join(REPO, 'examples', 'ci');
const run = promisify(execFile);

/** The `sh '…'` steps of a declarative Jenkinsfile, in file order (stages, then post). */
function jenkinsSteps(text: string): string[] {
  return [...text.matchAll(/^\s*sh\s+'([^']+)'\s*$/gm)].map((m) => m[1] ?? '');
}

/** The `run:` steps of every job of a GitHub Actions workflow, in order. */
function workflowSteps(text: string): string[] {
  const doc = parse(text) as { jobs: Record<string, { steps: { run?: string; uses?: string }[] }> };
  return Object.values(doc.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run === undefined ? [] : [s.run])));
}

describe('CI examples', () => {
  let vendor: Vendor;
  let hub: HubProcess;
  let token: string;
  let work: string;
  let path: string;
  before(async () => {
    vendor = await makeVendor('skci');
    work = await mkdtemp(join(tmpdir(), 'skiff-ci-'));
    const data = join(work, 'hub');
    token = (await hubInit({ data })).token;
    hub = await startHubProcess({ data });
    await new HubClient({ hub: hub.url, token }).post('/apps', { name: vendor.app, root: await readFile(vendor.rootJson, 'utf8') });
    // `skiff` on PATH, as on a CI agent.
    await mkdir(join(work, 'bin'));
    await writeFile(join(work, 'bin', 'skiff'), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, 'bin', 'skiff.js')}" "$@"\n`);
    await chmod(join(work, 'bin', 'skiff'), 0o755);
    path = `${join(work, 'bin')}:${process.env.PATH ?? ''}`;
    await run('tar', ['-cf', join(work, 'keys.tar'), '-C', vendor.trustDir, '.']);
  });
  after(async () => {
    await hub?.stop();
    await vendor?.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const runSteps = async (steps: string[], env: Record<string, string>): Promise<string> => {
    let out = '';
    for (const step of steps) {
      const r = await run('bash', ['-euo', 'pipefail', '-c', step], { cwd: REPO, env: { ...process.env, PATH: path, ...env }, timeout: 300_000 }).catch(
        (e: { stdout?: string; stderr?: string }) => {
          throw new Error(`step "${step}" failed: ${e.stderr ?? ''}${e.stdout ?? ''}`);
        },
      );
      out += r.stdout;
    }
    return out;
  };

  const common = async (version: string) => ({
    SKIFF_HUB: hub.url,
    SKIFF_TOKEN: token,
    APP: vendor.app,
    COMPOSE: await vendor.composeFor(version),
    SKIFF_STORE: vendor.storeDir,
    CHANNEL: 'stable',
    BUILD: `touch ${join(work, `built-${version}`)}`,
  });

  const released = async (version: string, builder: string): Promise<void> => {
    await stat(join(work, `built-${version}`));
    const shown = await run(process.execPath, [join(REPO, 'bin', 'skiff.js'), 'release', 'show', `${vendor.app}@${version}`, '--store', vendor.storeDir, '--json']);
    const provenance = (JSON.parse(shown.stdout) as { provenance: { verified: boolean; builder: string } | null }).provenance;
    assert.equal(provenance?.verified, true, 'release.sh records signed provenance');
    assert.equal(provenance?.builder, builder);
    const client = new HubClient({ hub: hub.url, token });
    const r = await client.get<{ digest: string }>(`/apps/${vendor.app}/releases/${version}`);
    assert.equal(r.digest, (await getRelease(new FsBlobStore(vendor.storeDir), vendor.app, version)).digest);
    const ch = await client.get<{ releases: { version: string }[] }>(`/apps/${vendor.app}/channels/stable`);
    assert.ok(ch.releases.some((e) => e.version === version), `${version} promoted to stable`);
  };

  it('the Jenkinsfile steps build, create, push and promote through release.sh', async () => {
    const steps = jenkinsSteps(await readFile(join(CI, 'Jenkinsfile'), 'utf8'));
    assert.ok(steps.some((s) => s === 'examples/ci/release.sh'), `Jenkinsfile runs release.sh: ${JSON.stringify(steps)}`);
    const trust = join(work, 'jenkins-trust');
    const out = await runSteps(steps, { ...(await common('1.0.0')), VERSION: '1.0.0', RELEASE_KEYS: join(work, 'keys.tar'), SKIFF_TRUST: trust, WORKSPACE: work, JOB_URL: 'https://jenkins.example.com/job/netmon/', BUILD_URL: 'https://jenkins.example.com/job/netmon/1/' });
    assert.match(out, new RegExp(`pushed ${vendor.app}@1\\.0\\.0\\nblobs: \\d+ sent`));
    assert.match(out, /stable: 1\.0\.0\n/);
    await released('1.0.0', 'https://jenkins.example.com/job/netmon/');
    await assert.rejects(stat(trust), 'the post step removed the keys');
  });

  it('the GitHub Actions steps do the same from a version tag, sending only new blobs', async () => {
    const steps = workflowSteps(await readFile(join(CI, 'github-actions.yml'), 'utf8'));
    assert.ok(steps.includes('examples/ci/release.sh'), `workflow runs release.sh: ${JSON.stringify(steps)}`);
    const keys = (await readFile(join(work, 'keys.tar'))).toString('base64');
    const gha = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/netmon', GITHUB_RUN_ID: '9', GITHUB_WORKFLOW_REF: 'acme/netmon/.github/workflows/release.yml@refs/tags/v1.1.0' };
    const out = await runSteps(steps, { ...(await common('1.1.0')), VERSION: 'v1.1.0', RELEASE_KEYS: keys, SKIFF_TRUST: join(work, 'gha-trust'), ...gha });
    const m = /blobs: (\d+) sent \(.+\), (\d+) already on the hub/.exec(out);
    assert.ok(m, out);
    assert.ok(Number(m[2]) > 0, 'the shared base layer and worker image were not sent again');
    assert.match(out, /stable: 1\.0\.0, 1\.1\.0\n/);
    await released('1.1.0', 'https://github.com/acme/netmon/.github/workflows/release.yml@refs/tags/v1.1.0');
  });

  it('release.sh names a missing setting in one line', async () => {
    const e = await run('bash', [join(CI, 'release.sh')], { cwd: REPO, env: { PATH: path, SKIFF_HUB: hub.url } }).then(
      () => assert.fail('release.sh ran without a token'),
      (err: { stderr: string; code: number }) => err,
    );
    assert.notEqual(e.code, 0);
    assert.match(e.stderr, /SKIFF_TOKEN: set SKIFF_TOKEN to a hub API token/);
  });
});
