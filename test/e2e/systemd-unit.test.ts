// The systemd unit in examples/: systemd-analyze verify accepts it without a warning (no booted systemd needed), and
// its ExecStart names a real CLI command with flags that `skiff agent run --help` lists.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/agent.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const UNIT = path.join(ROOT, 'examples/systemd/skiff-agent@.service');
const INSTALLED_CLI = '/usr/local/bin/skiff';

let dir: string;
let unit: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'skiff-systemd-'));
  unit = await readFile(UNIT, 'utf8');
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `systemd-analyze verify` of `text` as the template skiff-agent@.service, instantiated for `demo`. */
function verify(text: string): Promise<{ code: number; stderr: string }> {
  return (async () => {
    // verify checks that ExecStart's program exists: point it at this checkout's CLI.
    await writeFile(
      path.join(dir, 'skiff-agent@.service'),
      text.replaceAll(INSTALLED_CLI, path.join(ROOT, 'bin/skiff.js')),
    );
    return new Promise((resolve, reject) => {
      execFile(
        'systemd-analyze',
        ['verify', path.join(dir, 'skiff-agent@demo.service')],
        (error, _stdout, stderr) => {
          if (error && typeof error.code !== 'number')
            return reject(
              new Error(
                `systemd-analyze cannot run (${error.message}): apt-get install systemd (scripts/system-deps.sh)`,
              ),
            );
          resolve({ code: error ? Number(error.code) : 0, stderr });
        },
      );
    });
  })();
}

test('systemd-analyze verify accepts the unit without a warning, and does flag a broken one', async () => {
  const ok = await verify(unit);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr.trim(), '', 'no warning');
  const broken = await verify(unit.replace('Restart=always', 'Restart=allways'));
  assert.match(broken.stderr, /Failed to parse service restart specifier/, 'the check would catch a typo');
});

test('ExecStart runs skiff agent run with flags the CLI has, the state under the sandbox’s one writable path', async () => {
  const exec = /^ExecStart=(.+)$/m.exec(unit)?.[1];
  assert.ok(exec, 'the unit has an ExecStart');
  const words = exec.split(/\s+/).filter((w) => w !== '$SKIFF_AGENT_ARGS');
  assert.deepEqual(words.slice(0, 3), [INSTALLED_CLI, 'agent', 'run']);
  const state = words[words.indexOf('--state') + 1];
  assert.equal(state, '/var/lib/skiff/%i');
  assert.match(unit, /^ReadWritePaths=\/var\/lib\/skiff$/m);
  assert.match(unit, /^StateDirectory=skiff$/m);
  assert.match(unit, /^Restart=always$/m);

  // The flags the unit and its env file comment pass, against the real command's help.
  const documented = /SKIFF_AGENT_ARGS=(.+?)\s{2,}/.exec(unit)?.[1] ?? '';
  const flags = [...words, ...documented.split(/\s+/)].filter((w) => w.startsWith('--'));
  assert.ok(
    flags.includes('--hub') && flags.includes('--enroll-token'),
    `the env file example enrolls: ${documented}`,
  );
  const help = await runCli(['agent', 'run', '--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const flag of flags)
    assert.match(help.stdout, new RegExp(`${flag}[ ,<]`), `skiff agent run takes ${flag}`);
});
