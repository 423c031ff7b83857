// The real CLI's errors as the README promises them: argument errors are one `skiff:` line (exit 2) naming where the
// usage is; a Compose file's problems are all listed, a typo with the key it meant; --trust advice fits what was given.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initTrust } from '../../src/trust/index.ts';
import { removeDir, runCli, tempDir, type CliResult } from '../helpers/agent.ts';
import { ensureEngine } from '../helpers/engine.ts';

let work: string;
let trustDir: string;

before(async () => {
  await ensureEngine(); // release create connects to the engine before it reads the Compose file
  work = await tempDir('skiff-cli-errors');
  trustDir = path.join(work, 'trust');
  await initTrust(trustDir, { expiresDays: 30 });
});

after(async () => {
  await removeDir(work);
});

const stderrLines = (r: CliResult): string[] => r.stderr.split('\n').filter((l) => l !== '');

/** Exactly one stderr line, equal to `line` (or matching it), and the exit code. */
async function oneLine(args: readonly string[], code: number, line: string | RegExp): Promise<void> {
  const r = await runCli(args);
  assert.equal(r.code, code, `skiff ${args.join(' ')}: ${r.stderr}`);
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `one line expected: ${r.stderr}`);
  if (typeof line === 'string') assert.equal(lines[0], line);
  else assert.match(lines[0] ?? '', line);
}

test('argument errors are one `skiff:` line, exit 2, naming the command whose --help shows the usage', async () => {
  await oneLine(['hub', 'audit', 'verify'], 2, "skiff: required option '--data <dir>' not specified (see skiff hub audit verify --help)");
  await oneLine(['agent', 'install', 'x.skiff'], 2, "skiff: required option '--state <dir>' not specified (see skiff agent install --help)");
  await oneLine(['frobnicate'], 2, "skiff: unknown command 'frobnicate' (see skiff --help)");
  await oneLine(['--versio'], 2, "skiff: unknown option '--versio'; did you mean --version? (see skiff --help)");
  await oneLine(['agent', 'install', 'x.skiff', '--state', path.join(work, 's'), '--health-timeout', 'soon'], 2, /^skiff: option '--health-timeout <seconds>' argument 'soon' is invalid\. expected a positive number of seconds \(see skiff agent install --help\)$/);
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), '0.1.0');
  const help = await runCli(['agent', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: skiff agent/);
});

test('a Compose typo: every problem on its own line under a summary, the typo with the key it meant', async () => {
  const compose = path.join(work, 'typo.yaml');
  await writeFile(compose, 'services:\n  web:\n    imgae: busybox\n');
  const r = await runCli(['release', 'create', '--compose', compose, '--app', 'typo', '--version', '1.0.0', '--trust', trustDir, '--store', path.join(work, 'store')]);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(stderrLines(r), [
    `skiff: ${compose} has 2 problems:`,
    `  ${compose} line 2: services.web.image is required: Skiff runs prebuilt images, so every service names one`,
    `  ${compose} line 3: services.web.imgae is not supported by Skiff: did you mean image?`,
  ]);
});

test('--trust given the other way round: the advice names what to pass, never `trust init` on a file', async () => {
  const compose = path.join(work, 'ok.yaml');
  await writeFile(compose, 'services:\n  web:\n    image: busybox\n');
  const create = (trust: string): string[] => ['release', 'create', '--compose', compose, '--app', 'ok', '--version', '1.0.0', '--trust', trust, '--store', path.join(work, 'store')];
  await oneLine(create(path.join(trustDir, 'root.json')), 2, `skiff: ${trustDir}/root.json is the root.json of a trust directory; give the directory itself, which also holds the signing keys: ${trustDir}`);
  await oneLine(create(compose), 2, new RegExp(`^skiff: ${compose.replace(/[.]/g, '\\.')} is a file, not a trust directory: pass the directory \`skiff trust init --dir DIR\` made`));
  const empty = path.join(work, 'no-trust-yet');
  await mkdir(empty);
  await oneLine(create(empty), 1, new RegExp(`run \`skiff trust init --dir ${empty.replace(/[.]/g, '\\.')}\` first$`));
  await oneLine(['trust', 'rotate', '--dir', path.join(trustDir, 'root.json')], 2, /is the root\.json of a trust directory; give the directory itself/);
  await oneLine(['agent', 'install', path.join(work, 'x.skiff'), '--state', path.join(work, 'agent'), '--trust', trustDir], 2, `skiff: ${trustDir} is a directory; the agent pins the vendor's root.json file: pass ${trustDir}/root.json`);
});
