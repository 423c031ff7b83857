// Every tampered, forged, misdirected or stale bundle is refused by the agent with a one-line reason, and
// state.json, trust.json, the containers and the volumes stay exactly as they were.
import assert from 'node:assert/strict';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { install } from '../../src/agent/index.ts';
import { createRelease, releaseBlobs, type StoredRelease } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust, rotateTrust } from '../../src/trust/index.ts';
import { isSkiffError, type SkiffErrorCode } from '../../src/util/errors.ts';
import { FAST, FAST_FLAGS, cleanupApp, makeBundle, removeDir, runCli, snapshot, tempDir, type AppSnapshot } from '../helpers/agent.ts';
import { uniqueName } from '../helpers/engine.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;
let work: string;
let stateDir: string;
let v2: StoredRelease;
/** A full bundle of 2.0.0, newer than the installed 1.0.0: what each case tampers with. */
let v2File: Buffer;
let baseline: AppSnapshot;

before(async () => {
  vendor = await makeVendor('sktam');
  work = await tempDir('skiff-agent-tamper');
  stateDir = path.join(work, 'state');
  await vendor.createVersion('1.0.0');
  await vendor.createVersion('0.9.0');
  v2 = await vendor.createVersion('2.0.0');
  v2File = await readFile((await makeBundle(vendor.store, vendor.app, '2.0.0', path.join(work, 'v2.skiff'))).file);
  const { file } = await makeBundle(vendor.store, vendor.app, '1.0.0', path.join(work, 'v1.skiff'));
  const r = await install({ stateDir, bundle: file, trustFile: vendor.rootJson, ...FAST });
  assert.equal(r.outcome, 'installed');
  baseline = await snapshot(vendor.engine, vendor.app, stateDir);
  assert.equal(baseline.containers.length, 2);
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

let n = 0;
async function writeTemp(bytes: Buffer): Promise<string> {
  const file = path.join(work, `t${++n}.skiff`);
  await writeFile(file, bytes);
  return file;
}

/** The install is refused with one of `codes`, and nothing the agent owns changed. */
async function refused(bundle: string, codes: readonly SkiffErrorCode[], message?: RegExp, dir = stateDir, expected = baseline): Promise<void> {
  await assert.rejects(install({ stateDir: dir, bundle, trustFile: vendor.rootJson, ...FAST }), (e: unknown) => {
    assert.ok(isSkiffError(e) && codes.includes(e.code), `expected ${codes.join(' or ')}, got ${String(e)}`);
    if (message) assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  assert.deepEqual(await snapshot(vendor.engine, vendor.app, dir), expected);
  assert.deepEqual(await readdir(path.join(dir, 'staging')).catch(() => []), [], 'no staging left behind');
  assert.deepEqual((await readdir(dir).catch(() => [])).filter((f) => f === 'journal.json'), [], 'no journal left behind');
}

/** Offset and size of the data of the tar entry named `name` (ustar, names < 100 bytes). */
function entryData(tarBytes: Buffer, name: string): { data: number; size: number; header: number } {
  for (let at = 0; at + 512 <= tarBytes.length; ) {
    const entryName = tarBytes.toString('utf8', at, at + 100).replace(/\0.*$/s, '');
    if (!entryName) break;
    const size = parseInt(tarBytes.toString('utf8', at + 124, at + 136).replace(/\0.*$/s, '').trim() || '0', 8);
    if (entryName === name) return { header: at, data: at + 512, size };
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no entry ${name} in the bundle`);
}

/** The same tar with entry `name`'s data replaced by `data` (header size and checksum rewritten). */
function replaceEntry(tarBytes: Buffer, name: string, data: Buffer): Buffer {
  const e = entryData(tarBytes, name);
  const header = Buffer.from(tarBytes.subarray(e.header, e.header + 512));
  header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.fill(' ', 148, 156);
  const sum = header.reduce((a, b) => a + b, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(padded);
  return Buffer.concat([tarBytes.subarray(0, e.header), header, padded, tarBytes.subarray(e.data + Math.ceil(e.size / 512) * 512)]);
}

test('a flipped byte in a layer blob: DIGEST_MISMATCH, through the CLI as one line and exit code 1', async () => {
  const layer = (await releaseBlobs(vendor.store, v2.manifest)).filter((b) => b.kind === 'layer').sort((a, b) => b.size - a.size)[0];
  assert.ok(layer);
  const at = entryData(v2File, `blobs/sha256/${layer.digest.slice(7)}`);
  const bytes = Buffer.from(v2File);
  const i = at.data + Math.floor(at.size / 2);
  bytes[i] = (bytes[i] ?? 0) ^ 0xff;
  const r = await runCli(['agent', 'install', await writeTemp(bytes), '--state', stateDir, ...FAST_FLAGS]);
  assert.equal(r.code, 1);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('skiff: '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /sha256|digest/i);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.deepEqual(await snapshot(vendor.engine, vendor.app, stateDir), baseline);
  await refused(await writeTemp(bytes), ['DIGEST_MISMATCH']);
});

test('a truncated bundle: BUNDLE_TRUNCATED', async () => {
  await refused(await writeTemp(v2File.subarray(0, Math.floor(v2File.length * 0.6))), ['BUNDLE_TRUNCATED']);
  await refused(await writeTemp(v2File.subarray(0, 1000)), ['BUNDLE_TRUNCATED']);
});

test('an unsigned bundle (release.sig empty or emptied of signatures) is refused', async () => {
  await refused(await writeTemp(replaceEntry(v2File, 'skiff/release.sig', Buffer.alloc(0))), ['BUNDLE_INVALID', 'SIGNATURE_INVALID']);
  await refused(await writeTemp(replaceEntry(v2File, 'skiff/release.sig', Buffer.from('{"signatures":[]}'))), ['SIGNATURE_INVALID']);
});

test('a signed bundle whose unsigned bundle.json understates its size (includedBytes: 1) is refused by name, not installed', async () => {
  const at = entryData(v2File, 'skiff/bundle.json');
  const index = JSON.parse(v2File.toString('utf8', at.data, at.data + at.size)) as { includedBytes: number };
  const understated = replaceEntry(v2File, 'skiff/bundle.json', Buffer.from(JSON.stringify({ ...index, includedBytes: 1 })));
  await refused(await writeTemp(understated), ['BUNDLE_INVALID'], /skiff\/bundle\.json disagrees with the signed release: it says includedBytes 1/);
});

test("a release of this app signed by another vendor's trust dir: SIGNATURE_INVALID", async () => {
  const otherTrust = path.join(work, 'other-trust');
  await initTrust(otherTrust, { expiresDays: 30 });
  const otherStore = new FsBlobStore(path.join(work, 'other-store'));
  await createRelease({ composeFile: await vendor.composeFor('2.0.0'), app: vendor.app, version: '2.0.0', trustDir: otherTrust, store: otherStore, engine: vendor.engine });
  const { file } = await makeBundle(otherStore, vendor.app, '2.0.0', path.join(work, 'other.skiff'));
  await refused(file, ['SIGNATURE_INVALID', 'TRUST_INVALID']);
});

test('a bundle of another app (same vendor): WRONG_APP', async () => {
  const other = uniqueName('skoth');
  await createRelease({ composeFile: await vendor.composeFor('2.0.0'), app: other, version: '2.0.0', trustDir: vendor.trustDir, store: vendor.store, engine: vendor.engine });
  const { file } = await makeBundle(vendor.store, other, '2.0.0', path.join(work, 'wrong-app.skiff'));
  await refused(file, ['WRONG_APP'], new RegExp(other));
});

test('a release older than the installed one: RELEASE_ROLLBACK', async () => {
  const { file } = await makeBundle(vendor.store, vendor.app, '0.9.0', path.join(work, 'old.skiff'));
  await refused(file, ['RELEASE_ROLLBACK'], /0\.9\.0.*1\.0\.0/);
});

test('an expired root: TRUST_EXPIRED, and a fresh agent keeps no state', async () => {
  const trustDir = path.join(work, 'short-trust');
  await initTrust(trustDir, { expiresDays: 0.00001 });
  const store = new FsBlobStore(path.join(work, 'short-store'));
  const app = uniqueName('skexp');
  await createRelease({ composeFile: await vendor.composeFor('1.0.0'), app, version: '1.0.0', trustDir, store, engine: vendor.engine });
  const { file } = await makeBundle(store, app, '1.0.0', path.join(work, 'expired.skiff'));
  await sleep(1200);
  const fresh = path.join(work, 'state-expired');
  await assert.rejects(install({ stateDir: fresh, bundle: file, trustFile: path.join(trustDir, 'root.json'), ...FAST }), (e: unknown) => {
    assert.ok(isSkiffError(e, 'TRUST_EXPIRED'), String(e));
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  const left = (await readdir(fresh).catch(() => [] as string[])).filter((f) => ['state.json', 'trust.json', 'journal.json'].includes(f));
  assert.deepEqual(left, []);
  assert.deepEqual(await vendor.engine.containerList({ label: [`skiff.app=${app}`] }), []);
});

test('a release signed with a key a newer root revoked: KEY_REVOKED', async () => {
  const oldTrust = path.join(work, 'trust-before-rotation');
  await cp(vendor.trustDir, oldTrust, { recursive: true });
  await rotateTrust(vendor.trustDir);
  await vendor.createVersion('2.5.0');
  const next = await makeBundle(vendor.store, vendor.app, '2.5.0', path.join(work, 'v2.5-root2.skiff'), '1.0.0');
  const r = await install({ stateDir, bundle: next.file, ...FAST });
  assert.equal(r.to, '2.5.0');
  const onNext = await snapshot(vendor.engine, vendor.app, stateDir);
  assert.equal((JSON.parse(onNext.trustJson ?? '{}') as { root?: { signed?: { version?: number } } }).root?.signed?.version, 2, 'the agent learned root 2');

  await createRelease({ composeFile: await vendor.composeFor('3.0.0'), app: vendor.app, version: '3.0.0', trustDir: oldTrust, store: vendor.store, engine: vendor.engine });
  const { file } = await makeBundle(vendor.store, vendor.app, '3.0.0', path.join(work, 'v3-old-key.skiff'), '2.5.0');
  await refused(file, ['KEY_REVOKED'], /revoked/, stateDir, onNext);
});

test('a Compose file with an unsupported key is refused at release create, naming the key', async () => {
  const compose = await vendor.composeFor('5.0.0', { edit: (doc) => void (doc.services['web']!['privileged'] = true) });
  const r = await runCli(['release', 'create', '--compose', compose, '--app', vendor.app, '--version', '5.0.0', '--trust', vendor.trustDir, '--store', path.join(work, 'store5')]);
  assert.equal(r.code, 1);
  const line = r.stderr.split('\n').find((l) => l.startsWith('skiff: '));
  assert.ok(line, r.stderr);
  assert.match(line, /privileged/);
  await assert.rejects(
    createRelease({ composeFile: compose, app: vendor.app, version: '5.0.0', trustDir: vendor.trustDir, store: new FsBlobStore(path.join(work, 'store5')), engine: vendor.engine }),
    (e: unknown) => isSkiffError(e, 'COMPOSE_UNSUPPORTED_KEY') && /privileged/.test(e.message),
  );
});
