// Bundles encrypted to a customer's age X25519 key, installed on the real Docker Engine: the signed release stays
// readable and is checked first; without the key, with another key, or with a tampered ciphertext nothing installs.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { agentStatus } from '../../src/agent/index.ts';
import { FAST_FLAGS, cleanupApp, forgetImages, page, removeDir, runCli, tempDir } from '../helpers/agent.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';
import { tarEntries } from '../bundle/fixture.ts';

let vendor: Vendor;
let work: string;
let identity: string;
let otherIdentity: string;
let recipient: string;
let v1: string;
let v2: string;

async function keygen(name: string): Promise<{ file: string; recipient: string }> {
  const file = path.join(work, name);
  const r = await runCli(['bundle', 'keygen', '-o', file]);
  assert.equal(r.code, 0, r.stderr);
  return { file, recipient: r.stdout.trim() };
}

before(async () => {
  vendor = await makeVendor('skenc');
  work = await tempDir('skiff-encrypted');
  const r1 = await vendor.createVersion('1.0.0');
  const r2 = await vendor.createVersion('2.0.0');
  ({ file: identity, recipient } = await keygen('site.key'));
  otherIdentity = (await keygen('other.key')).file;
  v1 = path.join(work, 'v1.skiff');
  v2 = path.join(work, 'v2.skiff');
  for (const [ref, out, from] of [[`${vendor.app}@1.0.0`, v1], [`${vendor.app}@2.0.0`, v2, `${vendor.app}@1.0.0`]] as const) {
    const made = await runCli(['bundle', 'create', ref, '--store', vendor.storeDir, '--recipient', recipient, '-o', out, ...(from ? ['--from', from] : [])]);
    assert.equal(made.code, 0, made.stderr);
  }
  await forgetImages(vendor.engine, [r1, r2].flatMap((r) => Object.values(r.manifest.images).map((i) => i.configDigest)));
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

test('the signed release and trust stay readable; every blob is an age file', async () => {
  const bytes = await readFile(v1);
  const entries = tarEntries(bytes);
  const release = entries.find((e) => e.name === 'skiff/release.json')!;
  const stored = await readFile(path.join(vendor.storeDir, 'releases', vendor.app, '1.0.0', 'release.json')).catch(() => undefined);
  assert.ok(bytes.subarray(release.data, release.data + release.size).toString('utf8').includes(`"app":"${vendor.app}"`));
  if (stored) assert.ok(bytes.subarray(release.data, release.data + release.size).equals(stored));
  const blobs = entries.filter((e) => e.name.startsWith('blobs/sha256/') && e.size > 0);
  assert.ok(blobs.length > 0);
  for (const b of blobs) {
    assert.match(b.name, /^blobs\/sha256\/[0-9a-f]{64}\.age$/);
    assert.equal(bytes.subarray(b.data, b.data + 22).toString('latin1'), 'age-encryption.org/v1\n');
  }
  const json = entries.find((e) => e.name === 'skiff/bundle.json')!;
  const index = JSON.parse(bytes.subarray(json.data, json.data + json.size).toString('utf8')) as { encryption?: { recipients: string[] } };
  assert.deepEqual(index.encryption?.recipients, [recipient]);
});

test('without the key: a one-line error naming --identity, after the signature check, and nothing installed', async () => {
  const stateDir = path.join(work, 'state-nokey');
  const r = await runCli(['agent', 'install', v1, '--state', stateDir, '--trust', vendor.rootJson, ...FAST_FLAGS]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^skiff: bundle .*v1\\.skiff is encrypted to ${recipient}: pass --identity FILE holding the matching age secret key \\(AGE-SECRET-KEY-1…\\)\\n$`));
  assert.equal((await agentStatus(stateDir)).current, undefined);

  // A forged release is refused by its signature before the missing key is even mentioned.
  const bytes = await readFile(v1);
  const rel = tarEntries(bytes).find((e) => e.name === 'skiff/release.json')!;
  const at = bytes.indexOf('"changelog":"', rel.data) + 13;
  bytes[at] = 0x58;
  const forged = path.join(work, 'forged.skiff');
  await writeFile(forged, bytes);
  const f = await runCli(['bundle', 'verify', forged, '--trust', vendor.rootJson]);
  assert.equal(f.code, 1);
  assert.match(f.stderr, /signature/i);
  assert.doesNotMatch(f.stderr, /--identity/);
});

test('another key is refused by name', async () => {
  const r = await runCli(['bundle', 'verify', v1, '--trust', vendor.rootJson, '--identity', otherIdentity]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^skiff: this bundle is encrypted to another key: none of the identities given decrypts blob sha256:[0-9a-f]{64}; pass --identity with the key the bundle was made for\n$/);
});

test('a tampered ciphertext is refused, and nothing is installed', async () => {
  const bytes = await readFile(v1);
  const layer = tarEntries(bytes).filter((e) => e.name.endsWith('.age')).sort((a, b) => b.size - a.size)[0]!;
  const at = layer.data + Math.floor(layer.size / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  const tampered = path.join(work, 'tampered.skiff');
  await writeFile(tampered, bytes);
  const v = await runCli(['bundle', 'verify', tampered, '--trust', vendor.rootJson, '--identity', identity]);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /^skiff: blob sha256:[0-9a-f]{64} of the bundle does not decrypt \(its ciphertext was altered or damaged; ask the vendor for an intact copy\)\n$/);
  const stateDir = path.join(work, 'state-tampered');
  const r = await runCli(['agent', 'install', tampered, '--state', stateDir, '--trust', vendor.rootJson, '--identity', identity, ...FAST_FLAGS]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not decrypt/);
  assert.equal((await agentStatus(stateDir)).current, undefined);
});

test("with the site's key: verify checks every decrypted blob, install and a delta upgrade run healthy", async () => {
  const v = await runCli(['bundle', 'verify', v1, '--trust', vendor.rootJson, '--identity', identity]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`^verified ${vendor.app}@1\\.0\\.0 `));
  const stateDir = path.join(work, 'state');
  const r = await runCli(['agent', 'install', v1, '--state', stateDir, '--trust', vendor.rootJson, '--identity', identity, ...FAST_FLAGS]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await page(vendor.webPort), 'web 1.0.0');
  const u = await runCli(['agent', 'install', v2, '--state', stateDir, '--identity', identity, ...FAST_FLAGS]);
  assert.equal(u.code, 0, u.stderr);
  assert.equal(await page(vendor.webPort), 'web 2.0.0');
});

test('a bad recipient is a usage error naming it', async () => {
  const r = await runCli(['bundle', 'create', `${vendor.app}@1.0.0`, '--store', vendor.storeDir, '--recipient', 'age1nope', '-o', path.join(work, 'x.skiff')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^skiff: --recipient age1nope is not an age X25519 recipient/);
});
