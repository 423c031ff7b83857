// A missing or unusable input file gets one line naming the file and what to do, a non-zero exit and no stack
// trace, whichever command reads it: the CLI maps Node's filesystem errors in one place (src/util/fs-errors.ts).
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/agent.ts';

let dir: string;
before(async () => {
  dir = await tempDir('skiff-fs-errors');
  await mkdir(join(dir, 'a-directory.skiff'));
  await writeFile(join(dir, 'a-file'), 'not a directory\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs skiff and checks the outcome is exactly one `skiff: …` line on stderr and exit code 1. */
async function oneLineFailure(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runCli(args, env);
  assert.equal(r.code, 1, `exit code of skiff ${args.join(' ')}: ${r.stderr}`);
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
});
