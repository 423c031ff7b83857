// A missing or unusable input file gets one line naming the file and what to do, a non-zero exit and no stack
// trace, whichever command reads it: the CLI maps Node's filesystem errors in one place (src/util/fs-errors.ts).
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initTrust } from '../../src/trust/index.ts';
import { runCli, tempDir } from '../helpers/agent.ts';

let dir: string;
before(async () => {
  dir = await tempDir('skiff-fs-errors');
  await mkdir(join(dir, 'a-directory.skiff'));
  await writeFile(join(dir, 'a-file'), 'not a directory\n');
  await initTrust(join(dir, 'trust'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MISSING = 'does not exist: check the path (a directory it names must exist too)';
const HUB = ['--hub', 'http://127.0.0.1:9', '--token', 't'];

async function assertAbsent(path: string): Promise<void> {
  await assert.rejects(readFile(path), { code: 'ENOENT' }, `${path} was not created`);
}

/** Runs skiff and checks the outcome is exactly one `skiff: …` line on stderr and exit code `code` (2: a bad argument). */
async function oneLineFailure(args: string[], code = 1): Promise<string> {
  const r = await runCli(args);
  assert.equal(r.code, code, `exit code of skiff ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /ENOENT|ENOTDIR|EISDIR|\n\s+at /, 'no raw errno text or stack trace');
  return lines[0]!;
}

describe('a missing or unusable input file through the real CLI', () => {
  it('bundle inspect of a missing bundle names it and says to check the path', async () => {
    const file = join(dir, 'missing.skiff');
    const line = await oneLineFailure(['bundle', 'inspect', file]);
    assert.equal(line, `skiff: ${file} does not exist: check the path (a directory it names must exist too)`);
  });

  it('bundle inspect of a directory says to pass the file', async () => {
    const file = join(dir, 'a-directory.skiff');
    const r = await runCli(['bundle', 'inspect', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `skiff: ${file} is a directory: pass the .skiff file inside it\n`);
  });

  it('a path through a file (ENOTDIR) names the path', async () => {
    const file = join(dir, 'a-file', 'x.skiff');
    const line = await oneLineFailure(['bundle', 'inspect', file]);
    assert.match(line, new RegExp(`^skiff: ${file} cannot be reached: a part of its path is a file`));
  });

  it('bundle verify names the role of the missing file: the trusted root', async () => {
    const root = join(dir, 'missing-root.json');
    const line = await oneLineFailure(['bundle', 'verify', join(dir, 'missing.skiff'), '--trust', root]);
    assert.equal(line, `skiff: the trusted root ${root} does not exist: check the path (a directory it names must exist too)`);
  });

  it('release create and agent install name the role of the missing file: the Compose file, the trust root', async () => {
    const compose = join(dir, 'missing-compose.yaml');
    const created = await oneLineFailure(['release', 'create', '--compose', compose, '--app', 'fs', '--version', '1.0.0', '--trust', join(dir, 'trust'), '--store', join(dir, 'store')]);
    assert.equal(created, `skiff: the Compose file ${compose} does not exist: check the path (a directory it names must exist too)`);
    const root = join(dir, 'missing-root.json');
    const installed = await oneLineFailure(['agent', 'install', join(dir, 'missing.skiff'), '--state', join(dir, 'state'), '--trust', root]);
    assert.equal(installed, `skiff: the trust root ${root} does not exist: check the path (a directory it names must exist too)`);
  });

  it('support-bundle upload of a missing archive, a hub command, goes through the same mapping', async () => {
    const file = join(dir, 'missing.tar.gz');
    const line = await oneLineFailure(['support-bundle', 'upload', file, '--instance', 'i-1', '--hub', 'http://127.0.0.1:9', '--token', 't']);
    assert.equal(line, `skiff: ${file} does not exist: check the path (a directory it names must exist too)`);
  });

  it('trust show and trust rotate name a key file that is a directory and say to restore it; rotate writes nothing', async () => {
    const trust = join(dir, 'trust-key-dir');
    await initTrust(trust);
    const key = (await readdir(join(trust, 'keys'))).find((f) => f.startsWith('release-'))!;
    await rm(join(trust, 'keys', key));
    await mkdir(join(trust, 'keys', key));
    const want = `skiff: ${join(trust, 'keys', key)} is a directory: restore it from your key backup`;
    assert.equal(await oneLineFailure(['trust', 'show', '--dir', trust]), want);
    assert.equal(await oneLineFailure(['trust', 'rotate', '--dir', trust]), want);
    await assertAbsent(join(trust, 'roots', 'root.2.json'));
  });

  it('app create --root of a missing file or a directory names the flag and the path', async () => {
    const root = join(dir, 'missing-root.json');
    assert.equal(await oneLineFailure(['app', 'create', 'fs', '--root', root, ...HUB], 2), `skiff: --root ${root} ${MISSING}`);
    const folder = join(dir, 'a-directory.skiff');
    assert.equal(await oneLineFailure(['app', 'create', 'fs', '--root', folder, ...HUB], 2), `skiff: --root ${folder} is a directory: pass the file inside it`);
  });

  it('hub answer-enroll and hub import-report name the request and the report; no answer file is written', async () => {
    const request = join(dir, 'missing-request.json');
    const answer = join(dir, 'answer.json');
    assert.equal(await oneLineFailure(['hub', 'answer-enroll', request, '-o', answer, ...HUB], 2), `skiff: the enrollment request ${request} ${MISSING}`);
    await assertAbsent(answer);
    const folder = join(dir, 'a-directory.skiff');
    assert.equal(await oneLineFailure(['hub', 'import-report', folder, ...HUB], 2), `skiff: the report ${folder} is a directory: pass the file inside it`);
  });

  it('agent report names the unreadable state file and how to fix it; no report is written', async () => {
    const state = join(dir, 'state-identity-dir');
    await mkdir(join(state, 'connected', 'identity.json'), { recursive: true });
    const report = join(dir, 'report.skiffr');
    const line = await oneLineFailure(['agent', 'report', '--state', state, '-o', report]);
    assert.match(line, new RegExp(`^skiff: ${join(state, 'connected', 'identity.json')} is a directory: enroll again`));
    const through = await oneLineFailure(['agent', 'report', '--state', join(dir, 'a-file'), '-o', report]);
    assert.match(through, /a part of its path is a file, not a directory: check the path$/);
    await assertAbsent(report);
  });

  it('release verify-scan names the root, the report and the signature', async () => {
    const root = join(dir, 'missing-root.json');
    assert.equal(await oneLineFailure(['release', 'verify-scan', join(dir, 'a-file'), '--root', root], 2), `skiff: the root ${root} ${MISSING}`);
    const folder = join(dir, 'a-directory.skiff');
    const trusted = join(dir, 'trust', 'root.json');
    assert.equal(await oneLineFailure(['release', 'verify-scan', folder, '--root', trusted], 2), `skiff: the report ${folder} is a directory: pass the file inside it`);
    const signature = join(dir, 'missing.sig');
    const sig = await oneLineFailure(['release', 'verify-scan', join(dir, 'a-file'), '--root', trusted, '--signature', signature], 2);
    assert.equal(sig, `skiff: the signature ${signature} ${MISSING}`);
  });

  it('bundle keygen into a missing directory or over an existing file says what to do and writes nothing', async () => {
    const output = join(dir, 'missing-dir', 'id.txt');
    assert.equal(await oneLineFailure(['bundle', 'keygen', '-o', output]), `skiff: the identity file ${output} does not exist: create its directory first`);
    await assertAbsent(output);
    const existing = join(dir, 'a-file');
    assert.equal(await oneLineFailure(['bundle', 'keygen', '-o', existing]), `skiff: the identity file ${existing} already exists: choose another path (skiff does not overwrite it)`);
    assert.equal(await readFile(existing, 'utf8'), 'not a directory\n');
  });

  it('bundle verify and agent install of a directory say to pass the file, as bundle inspect does; no state is made', async () => {
    const folder = join(dir, 'a-directory.skiff');
    const root = join(dir, 'trust', 'root.json');
    const want = `skiff: ${folder} is a directory: pass the .skiff file inside it`;
    assert.equal(await oneLineFailure(['bundle', 'verify', folder, '--trust', root], 2), want);
    const state = join(dir, 'state-install');
    assert.equal(await oneLineFailure(['agent', 'install', folder, '--state', state, '--trust', root], 2), want);
    await assertAbsent(state);
  });

  it('release create --changelog, --hub-ca and bundle verify --identity name the file and its role', async () => {
    const compose = join(dir, 'compose.yaml');
    await writeFile(compose, 'services: {}\n');
    const changelog = join(dir, 'missing.md');
    const store = join(dir, 'store-changelog');
    const created = await oneLineFailure(['release', 'create', '--compose', compose, '--app', 'fs', '--version', '1.0.0', '--trust', join(dir, 'trust'), '--store', store, '--changelog', changelog]);
    assert.equal(created, `skiff: the changelog ${changelog} ${MISSING}`);
    const ca = join(dir, 'missing-ca.pem');
    const listed = await oneLineFailure(['app', 'list', '--hub', 'https://127.0.0.1:9', '--token', 't', '--hub-ca', ca], 2);
    assert.equal(listed, `skiff: --hub-ca ${ca} does not exist: give the PEM file of the CA that issued the hub's certificate`);
    const folder = join(dir, 'a-directory.skiff');
    const verified = await oneLineFailure(['bundle', 'verify', join(dir, 'a-file'), '--trust', join(dir, 'trust', 'root.json'), '--identity', folder]);
    assert.equal(verified, `skiff: the identity file ${folder} is a directory: pass the file inside it`);
  });
});
