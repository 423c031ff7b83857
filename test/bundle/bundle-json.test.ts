// skiff/bundle.json is unsigned: sizes and identity come from the verified release, a bundle.json that disagrees with it
// is refused by name, `inspect` says what it has not verified, and `verify` reports what it actually checked.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { VerifyOnlySink, readBundle, trustVerifier, type IncomingBlobs } from '../../src/bundle/index.ts';
import { bundleCommand } from '../../src/cli/bundle.ts';
import { formatBytes } from '../../src/cli/run.ts';
import { releaseBlobs } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { parseRoot } from '../../src/trust/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { editBundleJson, makeBundleFixture, verifyBundle, type BundleFixture } from './fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));

let fx: BundleFixture;
let fullFile: string;
let deltaFile: string;
let full: Buffer;

before(async () => {
  fx = await makeBundleFixture('skbjs');
  fullFile = (await fx.write('full.skiff', fx.v2)).file;
  deltaFile = (await fx.write('delta.skiff', fx.v2, fx.v1)).file;
  full = await readFile(fullFile);
});

after(async () => {
  await fx?.vendor.cleanup();
});

/** `skiff bundle …` in this process; its output. */
async function cli(args: readonly string[]): Promise<string> {
  let text = '';
  const command = bundleCommand({ write: (s: string) => (text += s) });
  command.exitOverride().configureOutput({ writeErr: () => undefined });
  for (const sub of command.commands) sub.exitOverride().configureOutput({ writeErr: () => undefined });
  await command.parseAsync([...args], { from: 'user' });
  const failed = process.exitCode;
  process.exitCode = undefined;
  assert.ok(!failed, `skiff bundle ${args.join(' ')} failed`);
  return text;
}

/** The real `skiff` command as a child process. */
function skiff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [BIN, ...args], { timeout: 180_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

async function writeTemp(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(fx.vendor.dir, name);
  await writeFile(file, bytes);
  return file;
}

/** What the reader hands the disk preflight (beforeLayers), reading `bytes` with `store` as what is already installed. */
async function incomingOf(bytes: Buffer, store?: FsBlobStore): Promise<IncomingBlobs | undefined> {
  let incoming: IncomingBlobs | undefined;
  await readBundle(Readable.from([bytes]), {
    verify: trustVerifier(parseRoot(await readFile(fx.vendor.rootJson))),
    sink: new VerifyOnlySink(store),
    beforeLayers: async (i) => void (incoming = i),
  });
  return incoming;
}

test('the disk preflight is sized from the signed manifests; a bundle.json claiming `includedBytes: 1` is refused by name', async () => {
  const configsAndLayers = (await releaseBlobs(fx.vendor.store, fx.v2.manifest)).filter(
    (b) => b.kind !== 'manifest',
  );
  assert.deepEqual(await incomingOf(full), {
    blobs: configsAndLayers.length,
    bytes: configsAndLayers.reduce((n, b) => n + b.size, 0),
  });

  // A site running 1.0.0 needs only what the delta carries beyond the manifests.
  const installed = new FsBlobStore(path.join(fx.vendor.dir, 'site-store'));
  for (const b of await releaseBlobs(fx.vendor.store, fx.v1.manifest))
    await installed.put(await fx.vendor.store.get(b.digest), b);
  const v1Has = new Set((await releaseBlobs(fx.vendor.store, fx.v1.manifest)).map((b) => b.digest));
  const carried = configsAndLayers.filter((b) => !v1Has.has(b.digest));
  assert.ok(carried.length > 0 && carried.length < configsAndLayers.length);
  assert.deepEqual(await incomingOf(await readFile(deltaFile), installed), {
    blobs: carried.length,
    bytes: carried.reduce((n, b) => n + b.size, 0),
  });

  const understated = await editBundleJson(full, (index) => ({ ...index, includedBytes: 1 }));
  await assert.rejects(incomingOf(understated), (e: unknown) => {
    assert.ok(isSkiffError(e, 'BUNDLE_INVALID'), String(e));
    assert.match(
      e.message,
      /skiff\/bundle\.json disagrees with the signed release: it says includedBytes 1, the blobs it lists as included make \d+/,
    );
    return true;
  });
});

test('bundle.json naming another app and version: verify refuses it by name; inspect prints the release and says what it did not check', async () => {
  const app = fx.vendor.app;
  const forged = await writeTemp(
    'forged-identity.skiff',
    await editBundleJson(full, (index) => ({ ...index, app: 'secb', version: '9.9.9' })),
  );
  const r = await skiff('bundle', 'verify', forged, '--trust', fx.vendor.rootJson);
  assert.equal(r.code, 1);
  assert.deepEqual(r.stderr.split('\n').filter(Boolean), [
    `skiff: bundle is invalid: skiff/bundle.json disagrees with the signed release: it names secb@9.9.9, the release is ${app}@2.0.0 (bundle.json is an unsigned index and was altered): ask the vendor for an intact copy`,
  ]);

  const shown = await cli(['inspect', forged]);
  const lines = shown.split('\n');
  assert.equal(
    lines[0],
    `${app}@2.0.0 (from release.json; signature NOT checked: pass --trust root.json to check it; skiff bundle verify checks everything)`,
  );
  assert.equal(lines[1], `release digest: ${fx.v2.digest}`);
  assert.ok(
    lines.includes(
      `warning: bundle.json disagrees with release.json: it names secb@9.9.9, the release is ${app}@2.0.0; bundle verify and agent install refuse this bundle`,
    ),
    shown,
  );
  assert.ok(lines.includes('bundle.json (an unsigned index, not verified): full bundle'), shown);
  assert.doesNotMatch(lines.slice(0, 3).join('\n'), /secb|9\.9\.9/, 'the identity comes from release.json');

  const json = JSON.parse(await cli(['inspect', forged, '--json'])) as {
    app: string;
    version: string;
    signature: string;
    releaseDigest: string;
    bundleJson: { verified: boolean; app: string };
    disagreement: string;
  };
  assert.deepEqual(
    [json.app, json.version, json.signature, json.releaseDigest],
    [app, '2.0.0', 'not checked', fx.v2.digest],
  );
  assert.deepEqual([json.bundleJson.verified, json.bundleJson.app], [false, 'secb']);
  assert.match(json.disagreement, /secb@9\.9\.9/);

  const trusted = await cli(['inspect', fullFile, '--trust', fx.vendor.rootJson]);
  assert.match(
    trusted,
    new RegExp(
      `^${app}@2\\.0\\.0 \\(from release\\.json; trust chain and signature verified with root version 1; blobs not checked: run skiff bundle verify\\)\\n`,
    ),
  );
  assert.doesNotMatch(trusted, /warning/);
});

test('verify reports what it checked: every blob of a full bundle, and what a delta leaves to its base', async () => {
  const all = await releaseBlobs(fx.vendor.store, fx.v2.manifest);
  const app = fx.vendor.app;
  assert.equal(
    await cli(['verify', fullFile, '--trust', fx.vendor.rootJson]),
    `verified ${app}@2.0.0 (${fx.v2.digest})\n  ${all.length} blobs checked, ${formatBytes(all.reduce((n, b) => n + b.size, 0))}\n`,
  );

  const c = await verifyBundle(deltaFile, fx.vendor.rootJson, { allowMissing: true });
  const lines = (await cli(['verify', deltaFile, '--trust', fx.vendor.rootJson])).split('\n');
  assert.equal(lines[1], `  ${c.received.length} blobs checked, ${formatBytes(c.receivedBytes)}`);
  assert.equal(
    lines[2],
    `  4 blobs the release needs are not in this delta bundle, not checked: an install takes them from ${app}@1.0.0, as bundle.json names it`,
  );
  const worker = fx.v2.manifest.images['worker']!;
  assert.ok(
    lines.includes(
      `    manifest ${worker.manifestDigest} ${formatBytes(worker.sizes.manifest)} (and what it reaches, unknown without the base)`,
    ),
    lines.join('\n'),
  );
  const json = JSON.parse(await cli(['verify', deltaFile, '--trust', fx.vendor.rootJson, '--json'])) as {
    checked: string[];
    checkedBytes: number;
    notChecked: string[];
  };
  assert.deepEqual(
    [json.checked.length, json.checkedBytes, json.notChecked.length],
    [c.received.length, c.receivedBytes, 4],
  );
});

test('a full bundle whose bundle.json calls blobs omitted (or lies about one) is refused, never summarised as checked and not checked at once', async () => {
  const layers = (await releaseBlobs(fx.vendor.store, fx.v2.manifest))
    .filter((b) => b.kind === 'layer')
    .map((b) => b.digest);
  const omitted = await editBundleJson(full, (index) => {
    const blobs = index.blobs.map((b) => (layers.includes(b.digest) ? { ...b, included: false } : b));
    const sum = (inc: boolean) => blobs.filter((b) => b.included === inc).reduce((n, b) => n + b.size, 0);
    return { ...index, blobs, includedBytes: sum(true), omittedBytes: sum(false) };
  });
  await assert.rejects(
    verifyBundle(omitted, fx.vendor.rootJson, { allowMissing: true }),
    (e: unknown) =>
      isSkiffError(e, 'BUNDLE_INVALID') && /bundle\.json .*omitted but names no base/.test(e.message),
  );

  const withBase = await editBundleJson(omitted, (index) => ({
    ...index,
    base: { version: '1.0.0', releaseDigest: fx.v1.digest },
  }));
  await assert.rejects(
    verifyBundle(withBase, fx.vendor.rootJson, { allowMissing: true }),
    (e: unknown) =>
      isSkiffError(e, 'BUNDLE_INVALID') &&
      /bundle\.json .*lists layer sha256:[0-9a-f]{64} as omitted, the bundle carries it/.test(e.message),
  );

  const resized = await editBundleJson(full, (index) => {
    const blobs = index.blobs.map((b) => (b.digest === layers[0] ? { ...b, size: b.size + 1 } : b));
    return { ...index, blobs, includedBytes: index.includedBytes + 1 };
  });
  await assert.rejects(
    verifyBundle(resized, fx.vendor.rootJson),
    (e: unknown) =>
      isSkiffError(e, 'BUNDLE_INVALID') && /bundle\.json .*the signed manifests say/.test(e.message),
  );
});
