// CLI start-up: `skiff --version` and `skiff <group> --help` load no heavy package (zod, Fastify, undici, the database
// drivers, age, tar): each group's commands are defined without their libraries, which load when a command runs.
// The one-shot commands read their input before they load their libraries, and the lean ones (`bundle verify`,
// `bundle inspect`, `agent install`) then load only what they need.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { importPart } from '../../src/cli/run.ts';
import { isSkiffError } from '../../src/util/index.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const HEAVY = ['zod', 'fastify', '@fastify/swagger', 'undici', 'pg', 'better-sqlite3', 'age-encryption', 'tar-stream', 'yauzl', 'yaml', 'semver', 'canonicalize', 'pino', 'prom-client', 'nodemailer', 'cli-progress'];

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-start-up-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the CLI from its sources (tsx loads every static import, so this is the most any build loads) and returns the
 * npm packages it resolved; `fails` when the command is expected to fail (at a missing input), with its stderr.
 */
async function packagesLoaded(args: string[], fails?: RegExp): Promise<{ packages: Set<string>; stdout: string }> {
  const record = join(dir, `${args.join('_').replace(/\W/g, '')}.txt`);
  const cli = run(process.execPath, ['--import', 'tsx', '--import', join(ROOT, 'test/helpers/import-recorder.mjs'), join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, SKIFF_RECORD_IMPORTS: record },
  });
  let stdout = '';
  if (fails) await assert.rejects(cli, (e: { stderr?: string }) => fails.test(e.stderr ?? ''), `skiff ${args.join(' ')} fails at its input`);
  else ({ stdout } = await cli);
  const urls = (await readFile(record, 'utf8').catch(() => '')).split('\n');
  const packages = new Set(urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p): p is string => p !== undefined));
  return { packages, stdout };
}

const heavyIn = (packages: Set<string>): string[] => HEAVY.filter((p) => packages.has(p));

describe('CLI start-up', () => {
  it('`skiff --version` loads no package, commander included', async () => {
    const { packages, stdout } = await packagesLoaded(['--version']);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
    assert.deepEqual([...packages].filter((p) => p !== 'tsx' && p !== 'get-tsconfig' && p !== 'resolve-pkg-maps'), []);
  });

  it('`skiff <group> --help` of every group loads none of the heavy packages', async () => {
    const { stdout } = await packagesLoaded(['--help']);
    const groups = [...stdout.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]!).filter((g) => g !== 'help');
    assert.ok(groups.length >= 10, `the groups from skiff --help: ${groups.join(', ')}`);
    const found: Record<string, string[]> = {};
    // Two at a time: each is a Node process compiling TypeScript.
    for (let i = 0; i < groups.length; i += 2) {
      await Promise.all(
        groups.slice(i, i + 2).map(async (g) => {
          const { packages, stdout: help } = await packagesLoaded([g, '--help']);
          assert.match(help, new RegExp(`^Usage: skiff ${g} `), `${g} --help printed its usage`);
          assert.ok(packages.has('commander'), `${g}: the recorder saw the packages loaded`);
          const heavy = heavyIn(packages);
          if (heavy.length > 0) found[g] = heavy;
        }),
      );
    }
    assert.deepEqual(found, {}, 'heavy packages loaded by a group’s --help');
  });

  it('a one-shot command fails at a missing input before it loads its libraries', async () => {
    const missing = join(dir, 'missing');
    // [command, argv, its error (or output), the heavy packages it may load first]
    const leaves: [string, string[], RegExp, string[]][] = [
      ['bundle verify', ['bundle', 'verify', join(missing, 'app.skiff'), '--trust', join(missing, 'root.json')], /root\.json/, []],
      ['bundle inspect', ['bundle', 'inspect', join(missing, 'app.skiff')], /app\.skiff does not exist/, []],
      ['release create', ['release', 'create', '--compose', join(missing, 'compose.yaml'), '--app', 'a', '--version', '1.0.0', '--trust', join(missing, 'keys'), '--store', join(missing, 'store')], /compose\.yaml does not exist/, []],
      ['agent install', ['agent', 'install', join(missing, 'app.skiff'), '--state', join(missing, 'state'), '--trust', join(missing, 'root.json')], /the trust root .*root\.json does not exist/, []],
      // The state directory's schemas (zod, and the trust root's canonical form); no engine client, release or Compose.
      ['agent status', ['agent', 'status', '--state', join(missing, 'state')], /^nothing installed$/m, ['zod', 'canonicalize']],
    ];
    const found: Record<string, string[]> = {};
    await Promise.all(
      leaves.map(async ([name, args, answer, allowed]) => {
        const { packages, stdout } = await packagesLoaded(args, name === 'agent status' ? undefined : answer);
        if (name === 'agent status') assert.match(stdout, answer);
        assert.ok(packages.has('commander'), `${name}: the recorder saw the packages the command loads`);
        const extra = heavyIn(packages).filter((p) => !allowed.includes(p));
        if (extra.length > 0) found[name] = extra;
      }),
    );
    assert.deepEqual(found, {}, 'heavy packages loaded before a one-shot command read its input');
  });

  it('the lean one-shot commands load what they need only: no writer, registry, hub-client, server or age libraries', async () => {
    // Inputs that exist but are not what they claim: the reader loads, reads and refuses them.
    const root = join(dir, 'root.json');
    const notABundle = join(dir, 'app.skiff');
    await writeFile(root, '{}');
    await writeFile(notABundle, 'not a bundle');
    // A bundle read needs zod schemas, tar-stream and canonicalize (signatures); an install also the engine client
    // (undici), Compose (yaml) and semver. The rest is another command's.
    const server = ['fastify', 'pg', 'better-sqlite3', 'pino', 'prom-client', 'nodemailer', 'yauzl'];
    const leaves: [string, string[], RegExp, string[]][] = [
      ['bundle verify', ['bundle', 'verify', notABundle, '--trust', root], /root\.json: signed/, ['undici', 'yaml', 'semver', 'age-encryption', ...server]],
      ['bundle inspect', ['bundle', 'inspect', notABundle], /app\.skiff is not a \.skiff bundle/, ['undici', 'yaml', 'semver', 'age-encryption', ...server]],
      ['agent install', ['agent', 'install', notABundle, '--state', join(dir, 'state'), '--trust', root], /root\.json: signed/, ['age-encryption', ...server]],
    ];
    const found: Record<string, string[]> = {};
    await Promise.all(
      leaves.map(async ([name, args, fails, unneeded]) => {
        const { packages } = await packagesLoaded(args, fails);
        assert.ok(packages.has('zod'), `${name}: the recorder saw the packages the command loads`);
        const extra = unneeded.filter((p) => packages.has(p));
        if (extra.length > 0) found[name] = extra;
      }),
    );
    assert.deepEqual(found, {}, 'libraries another command needs, loaded by a one-shot command');
  });

  it('a command whose library needs a package this install lacks says so in one line (the agent image has no pg)', async () => {
    const load = importPart('hub', () => import('skiff-no-such-package' as string));
    await assert.rejects(load(), (e: unknown) => isSkiffError(e, 'USAGE') && /^skiff hub is not part of this install \(skiff-no-such-package is missing\): the skiff-agent image carries the agent only/.test(e.message));
  });
});
