// The real `skiff` command end to end: trust init → release create/list/show/diff → bundle create/inspect/verify.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

const BIN = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function skiff(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: 180_000, env: { ...process.env, SKIFF_DEBUG: '' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A command line: literal words split on spaces, each interpolated value one argument (paths may hold spaces). */
function argv(words: TemplateStringsArray, ...values: unknown[]): string[] {
  return words.flatMap((w, i) => [
    ...w.split(/\s+/).filter(Boolean),
    ...(i < values.length ? [String(values[i])] : []),
  ]);
}

async function ok(args: string[]): Promise<string> {
  const r = await skiff(...args);
  assert.equal(r.code, 0, `skiff ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Fails with exit 1 and exactly one line on stderr, `skiff: …`, and no stack trace. */
async function fails(pattern: RegExp, args: string[]): Promise<void> {
  const r = await skiff(...args);
  assert.equal(r.code, 1, `skiff ${args.join(' ')} should exit 1: ${r.stdout}${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^reading /.test(l));
  assert.equal(lines.length, 1, `one line expected, got: ${r.stderr}`);
  assert.match(lines[0] ?? '', /^skiff: /);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

let vendor: Vendor;
let trust: string;
let store: string;
let ref1: string;
let ref2: string;

before(async () => {
  vendor = await makeVendor('ske2e');
  trust = path.join(vendor.dir, 'cli-trust');
  store = path.join(vendor.dir, 'cli-store');
  ref1 = `${vendor.app}@1.0.0`;
  ref2 = `${vendor.app}@1.1.0`;
});

after(async () => {
  await vendor?.cleanup();
});

test('trust init, then release create prints the digest and images, and is idempotent', async () => {
  await ok(argv`trust init --dir ${trust}`);
  const changelog = path.join(vendor.dir, 'CHANGES.md');
  await writeFile(changelog, 'First release.\n');
  const create = (compose: string, version: string): string[] =>
    argv`release create --compose ${compose} --app ${vendor.app} --version ${version} --trust ${trust} --store ${store}`;
  const args = [...create(await vendor.composeFor('1.0.0'), '1.0.0'), '--changelog', changelog];
  const created = await ok(args);
  assert.match(created, new RegExp(`^${ref1} created\\nrelease digest: sha256:[0-9a-f]{64}\\n`));
  assert.match(created, /\n {2}web: \S+ sha256:[0-9a-f]{64} linux\/amd64 [\d.]+ (KB|MB)\n/);
  assert.match(created, /\n {2}worker: /);
  const again = await ok(args);
  assert.match(again, new RegExp(`^${ref1} already exists \\(identical\\)`));
  assert.equal(again.split('\n')[1], created.split('\n')[1], 'same release digest');

  const other = await vendor.composeFor('1.0.0', { webPage: 'different' });
  await fails(/already exists with different content/, [...create(other, '1.0.0'), '--changelog', changelog]);
  await ok(create(await vendor.composeFor('1.1.0'), '1.1.0'));
});

test('release list, show and diff', async () => {
  type Listed = { app: string; version: string; digest: string }[];
  const list = JSON.parse(await ok(argv`release list --store ${store} --json`)) as Listed;
  assert.deepEqual(
    list.map((r) => `${r.app}@${r.version}`),
    [ref1, ref2],
  );
  assert.match(
    await ok(argv`release list --store ${store} --app ${vendor.app}`),
    new RegExp(`^${ref1} +sha256:`),
  );

  const text = await ok(argv`release show --store ${store} ${ref1}`);
  const settings =
    /config settings:\n {2}WEB_PORT: port \(host port of the web page\)\n {2}GREETING: string\n {2}API_TOKEN: string, secret\n/;
  assert.match(text, settings);
  assert.match(text, /changelog:\n {2}First release\./);
  const shown = JSON.parse(await ok(argv`release show --store ${store} ${ref1} --json`)) as {
    digest: string;
    services: Record<string, { manifestDigest: string; size: number }>;
    config: { name: string; type: string }[];
  };
  assert.equal(shown.digest, list[0]?.digest);
  assert.deepEqual(Object.keys(shown.services).sort(), ['web', 'worker']);
  const config = shown.config.map((c) => `${c.name}:${c.type}`);
  assert.deepEqual(config, ['WEB_PORT:port', 'GREETING:string', 'API_TOKEN:string']);
  assert.doesNotMatch(JSON.stringify(shown) + text, /not-a-real-token/, 'no setting values are printed');

  const diff = JSON.parse(await ok(argv`release diff --store ${store} ${ref1} ${ref2} --json`)) as {
    services: { changed: string[] };
    delta: { blobs: number; bytes: number };
    compose: { path: string }[];
  };
  assert.deepEqual(diff.services.changed, ['web']);
  assert.equal(diff.delta.blobs, 5, "web's manifest, config and layer, the release's SBOM and the layer's content index");
  assert.deepEqual(
    diff.compose.map((c) => c.path),
    ['services.web.image'],
  );
  assert.match(await ok(argv`release diff --store ${store} ${ref1} ${ref2}`), /~ services\.web\.image: /);

  await fails(/is not in the store/, argv`release show --store ${store} ${`${vendor.app}@7.0.0`}`);
  const usage = await skiff(...argv`release show --store ${store} nonsense`);
  assert.equal(usage.code, 2, 'a usage error exits 2');
  assert.match(usage.stderr, /^skiff: "nonsense" is not APP@VERSION/);
});

test('bundle create (full and delta), inspect --json, verify', async () => {
  const full = path.join(vendor.dir, 'out', 'full.skiff');
  const delta = path.join(vendor.dir, 'out', 'delta.skiff');
  await fails(/the bundle .*full\.skiff does not exist: create its directory first/, argv`bundle create --store ${store} ${ref2} -o ${full}`);
  await mkdir(path.dirname(full));

  const made = await ok(argv`bundle create --store ${store} ${ref2} -o ${full}`);
  assert.match(made, /\(full\)\n/);
  assert.match(made, /blobs: 11 included .*, 0 omitted/, 'and a content index per layer');
  const sha = /sha256: ([0-9a-f]{64})/.exec(made)?.[1];
  assert.equal(
    sha,
    createHash('sha256')
      .update(await readFile(full))
      .digest('hex'),
  );
  const madeDelta = await ok(argv`bundle create --store ${store} ${ref2} --from ${ref1} -o ${delta}`);
  assert.match(madeDelta, /blobs: 5 included .*, 6 omitted/);
  const left = (await readdir(path.dirname(full))).sort();
  assert.deepEqual(left, ['delta.skiff', 'full.skiff'], 'no temp files left behind');

  const inspected = JSON.parse(await ok(argv`bundle inspect ${delta} --json`)) as {
    app: string;
    version: string;
    signature: string;
    images: Record<string, { manifestDigest: string; platform: { os: string } }>;
    bundleJson: { verified: boolean; base: { version: string }; included: unknown[]; omitted: unknown[] };
  };
  assert.equal(inspected.app, vendor.app);
  assert.equal(inspected.version, '1.1.0');
  assert.equal(inspected.signature, 'not checked');
  assert.equal(inspected.bundleJson.verified, false);
  assert.equal(inspected.bundleJson.base.version, '1.0.0');
  assert.deepEqual(Object.keys(inspected.images).sort(), ['web', 'worker']);
  assert.equal(inspected.images['web']?.platform.os, 'linux');
  assert.deepEqual([inspected.bundleJson.included.length, inspected.bundleJson.omitted.length], [5, 6]);

  const root = path.join(trust, 'root.json');
  assert.match(await ok(argv`bundle verify --trust ${root} ${full}`), /^verified .*\n {2}11 blobs checked/);
  assert.match(
    await ok(argv`bundle verify --trust ${root} ${delta}`),
    /\n {2}5 blobs checked, .*\n {2}\d blobs the release needs are not in this delta bundle, not checked: an install takes them from .*@1\.0\.0/,
  );
  const json = JSON.parse(await ok(argv`bundle verify --trust ${root} ${full} --json`)) as {
    verified: boolean;
    checked: string[];
  };
  assert.equal(json.verified, true);
  assert.equal(json.checked.length, 11);
});

test('bundle verify refuses damaged or foreign bundles with one line and exit 1', async () => {
  const full = path.join(vendor.dir, 'out', 'full.skiff');
  const root = path.join(trust, 'root.json');
  const bytes = await readFile(full);
  const truncated = path.join(vendor.dir, 'out-truncated.skiff');
  await writeFile(truncated, bytes.subarray(0, bytes.length - 5000));
  await fails(/truncated/, argv`bundle verify --trust ${root} ${truncated}`);

  const flipped = Buffer.from(bytes);
  const at = bytes.length - 200_000;
  flipped[at] = (flipped[at] ?? 0) ^ 0xff;
  const tampered = path.join(vendor.dir, 'out-tampered.skiff');
  await writeFile(tampered, flipped);
  await fails(/digest|sha256/i, argv`bundle verify --trust ${root} ${tampered}`);

  await fails(/root/, argv`bundle verify --trust ${vendor.rootJson} ${full}`);
  await fails(
    /the bundle \S*absent\.skiff does not exist: check the path/,
    argv`bundle verify --trust ${root} ${path.join(vendor.dir, 'absent.skiff')}`,
  );
  await fails(
    /the trusted root \S*absent\.json does not exist: check the path/,
    argv`bundle verify --trust ${path.join(vendor.dir, 'absent.json')} ${full}`,
  );
  await fails(/not a readable|not a \.skiff/, argv`bundle inspect ${root}`);
});

test('release create errors are one line: unsupported Compose key, missing image, a bad changelog or version', async () => {
  const bad = path.join(vendor.dir, 'bad-compose.yaml');
  await writeFile(bad, `services:\n  web:\n    image: ${vendor.workerImage}\n    privileged: true\n`);
  const create = (version: string): string[] =>
    argv`release create --compose ${bad} --app ${vendor.app} --version ${version} --trust ${trust} --store ${store}`;
  await fails(/line 4: services\.web\.privileged is not supported/, create('3.0.0'));
  await writeFile(bad, `services:\n  web:\n    image: skiff-test/${vendor.app}-absent:1\n`);
  await fails(/is not in the local Docker Engine/, create('3.0.0'));
  await fails(/the changelog .*nope\.md does not exist/, [
    ...create('3.0.0'),
    '--changelog',
    path.join(vendor.dir, 'nope.md'),
  ]);
  await fails(/not a semantic version/, create('one'));
});
