// The real CLI given files it cannot use: a corrupt or wrongly shaped journal.json, state.json or trust.json, and a
// file that is not a .skiff bundle. Each is one `skiff:` line naming the file, what is wrong and what to do; nothing
// is created or changed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { access, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { install } from '../../src/agent/index.ts';
import { VerifyOnlySink, inspectBundle, readBundle, trustVerifier } from '../../src/bundle/index.ts';
import { initTrust, parseRoot } from '../../src/trust/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { removeDir, runCli, tempDir } from '../helpers/agent.ts';
import { ensureEngine } from '../helpers/engine.ts';

const run = promisify(execFile);
let work: string;
let rootJson: string;

before(async () => {
  await ensureEngine();
  work = await tempDir('skiff-bad-files');
  await initTrust(path.join(work, 'trust'), { expiresDays: 30 });
  rootJson = path.join(work, 'trust', 'root.json');
});

after(async () => {
  await removeDir(work);
});

/** A non-zero exit and exactly one line on stderr: `skiff: …` matching every pattern, no stack trace. */
async function fails(args: readonly string[], ...patterns: RegExp[]): Promise<string> {
  const r = await runCli(args);
  assert.ok(r.code === 1 || r.code === 2, `skiff ${args.join(' ')} should exit 1 (2 for usage): ${r.code} ${r.stdout}${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one line expected, got: ${r.stderr}`);
  const line = lines[0] ?? '';
  assert.match(line, /^skiff: /);
  for (const p of patterns) assert.match(line, p);
  assert.doesNotMatch(line, /Unexpected end of JSON input$|Maybe the tar is corrupted|gunzipped\?/);
  return line;
}

async function stateDirWith(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) await writeFile(path.join(dir, f), text);
  return dir;
}

const listing = async (dir: string): Promise<string[]> => (await readdir(dir, { recursive: true })).map(String).sort();

test('a truncated journal.json: named, not JSON, and what is safe to do; resume and status both say so', async () => {
  const dir = await stateDirWith('journal-truncated', { 'journal.json': '{"op": "install", "app": "net' });
  const before = await listing(dir);
  for (const cmd of ['resume', 'status', 'rollback']) {
    await fails(['agent', cmd, '--state', dir], new RegExp(`${path.join(dir, 'journal.json').replace(/[.]/g, '\\.')} is corrupt \\(not JSON: `), /skiff agent resume cannot tell/, /docker ps -a --filter label=skiff\.app/, /delete the file and run the interrupted command again/);
  }
  assert.deepEqual(await listing(dir), before, 'nothing changed');
});

test('a wrongly shaped journal.json, state.json or trust.json names the field that is wrong', async () => {
  const journal = await stateDirWith('journal-shape', { 'journal.json': JSON.stringify({ op: 'install', app: 'netmon', phase: 'sideways' }) });
  await fails(['agent', 'resume', '--state', journal], /journal\.json is corrupt \(phase: /);
  const state = await stateDirWith('state-shape', { 'state.json': JSON.stringify({ app: 'netmon', current: { version: 1 }, history: [] }) });
  await fails(['agent', 'status', '--state', state], /state\.json is corrupt \(current\.version: /, /Restore it from a backup of the state directory/);
  const empty = await stateDirWith('state-empty', { 'state.json': '' });
  await fails(['agent', 'rollback', '--state', empty], /state\.json is corrupt \(it is empty\)/);
  const trust = await stateDirWith('trust-bad', { 'trust.json': '[1, 2' });
  await fails(['agent', 'status', '--state', trust], /trust\.json is corrupt \(not JSON: /, /--trust/);
  const root = await stateDirWith('trust-root-shape', { 'trust.json': JSON.stringify({ root: { signed: 1 }, lastVerified: 'then' }) });
  await fails(['agent', 'status', '--state', root], /trust\.json is corrupt \(root: signed: /, /Restore it from a backup/);
});

/** Files that are not bundles, each with what the message must say about it. */
async function nonBundles(): Promise<[string, RegExp][]> {
  const dir = path.join(work, 'not-bundles');
  await mkdir(dir, { recursive: true });
  const write = async (name: string, data: string | Buffer): Promise<string> => {
    await writeFile(path.join(dir, name), data);
    return path.join(dir, name);
  };
  await writeFile(path.join(dir, 'notes.txt'), 'not a bundle\n');
  await run('tar', ['-cf', path.join(dir, 'plain.skiff'), '-C', dir, 'notes.txt']);
  const plain = await readFile(path.join(dir, 'plain.skiff'));
  return [
    [await write('random.skiff', Buffer.alloc(8192, 'skiff? no. ')), /random\.skiff is not a \.skiff bundle: it does not start with a tar header/],
    [await write('short.skiff', 'hello\n'), /short\.skiff is not a \.skiff bundle: it is 6 bytes/],
    [await write('gzipped.skiff', gzipSync(plain)), /gzipped\.skiff is not a \.skiff bundle: it is gzip-compressed/],
    [path.join(dir, 'plain.skiff'), /plain\.skiff is not a \.skiff bundle: it is a tar whose first entry is "notes\.txt"/],
    [await write('empty.skiff', ''), /empty\.skiff is empty/],
  ];
}

test('a file that is not a bundle: agent install names it and creates no state dir', async () => {
  const kinds = await nonBundles();
  for (const [file, says] of kinds.slice(0, 2)) {
    const fresh = path.join(work, 'fresh-state', path.basename(file));
    await fails(['agent', 'install', file, '--state', fresh, '--trust', rootJson], says);
    await assert.rejects(access(fresh), `${fresh} was not created`);
    await assert.rejects(access(path.dirname(fresh)), 'nor its parent');
  }
  for (const [file, says] of kinds) {
    const fresh = path.join(work, 'fresh-lib', path.basename(file));
    await assert.rejects(install({ stateDir: fresh, bundle: file, trustFile: rootJson }), (e: unknown) => {
      assert.ok(isSkiffError(e, 'BUNDLE_INVALID') || isSkiffError(e, 'BUNDLE_TRUNCATED'), String(e));
      assert.match(e.message, says);
      return true;
    });
    await assert.rejects(access(path.dirname(fresh)), `${fresh} was not created`);
  }
});

test('a file that is not a bundle on an agent that has state: nothing in the state dir changes', async () => {
  const dir = await stateDirWith('existing', { 'state.json': JSON.stringify({ app: 'netmon', history: [] }) });
  const before = await listing(dir);
  const [[file, says]] = (await nonBundles()) as [[string, RegExp]];
  await fails(['agent', 'install', file, '--state', dir, '--trust', rootJson], says);
  assert.deepEqual(await listing(dir), before);
});

test('other refused first commands leave no state dir either: a missing bundle, no root, a rollback', async () => {
  const fresh = path.join(work, 'fresh-other');
  await fails(['agent', 'install', path.join(work, 'absent.skiff'), '--state', fresh, '--trust', rootJson], /absent\.skiff does not exist/);
  await fails(['agent', 'install', path.join(work, 'absent.skiff'), '--state', fresh], /no trusted root yet/);
  await fails(['agent', 'rollback', '--state', fresh], /nothing is installed/);
  await assert.rejects(access(fresh));
});

test('bundle verify and bundle inspect name a file that is not a bundle', async () => {
  const kinds = await nonBundles();
  const [file, says] = kinds[3] ?? assert.fail('a plain tar');
  await fails(['bundle', 'verify', '--trust', rootJson, file], says);
  await fails(['bundle', 'inspect', file], says);
  const root = parseRoot(await readFile(rootJson));
  for (const [f, message] of kinds) {
    const refused = (e: unknown): boolean => {
      assert.ok(isSkiffError(e, 'BUNDLE_INVALID') || isSkiffError(e, 'BUNDLE_TRUNCATED'), String(e));
      assert.match(e.message, message);
      return true;
    };
    await assert.rejects(readBundle(createReadStream(f), { verify: trustVerifier(root), sink: new VerifyOnlySink(), name: f }), refused);
    await assert.rejects(inspectBundle(f), refused);
  }
});
