// The vendor trust directory on disk: layout, key file modes, keys.json, init/rotate/load and their refusals.
import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  initTrust,
  loadTrustDir,
  parseRoot,
  rotateTrust,
  verifyRelease,
  verifyRootChain,
} from '../../src/trust/index.ts';
import { rejectsCode, tempTrustDir } from './fixtures.ts';

const DAY_MS = 86_400_000;
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;
const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(path, 'utf8'));

test('init writes root.json, the chain, 0600 keys in a 0700 dir and keys.json', async (t) => {
  const dir = await tempTrustDir(t);
  const before = Date.now();
  const trust = await initTrust(dir);
  const { signed } = trust.root;
  const [rootId] = signed.roles.root.keyids;
  const [releaseId] = signed.roles.release.keyids;
  assert.ok(rootId && releaseId);
  assert.deepEqual(signed.roles.root, { keyids: [rootId], threshold: 1 });
  assert.deepEqual(signed.roles.release, { keyids: [releaseId], threshold: 1 });
  const expires = Date.parse(signed.expires);
  assert.ok(expires >= before + 365 * DAY_MS && expires <= Date.now() + 365 * DAY_MS);

  assert.deepEqual(parseRoot(await readFile(join(dir, 'root.json'))), trust.root);
  assert.deepEqual(await readdir(join(dir, 'roots')), ['root.1.json']);
  assert.equal(await mode(join(dir, 'keys')), 0o700);
  const rootPem = `keys/root-${rootId.slice(0, 8)}.pem`;
  const releasePem = `keys/release-${releaseId.slice(0, 8)}.pem`;
  assert.equal(await mode(join(dir, rootPem)), 0o600);
  assert.equal(await mode(join(dir, releasePem)), 0o600);
  assert.match(await readFile(join(dir, releasePem), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  const [timestampId] = signed.roles.timestamp?.keyids ?? [];
  assert.ok(timestampId);
  const timestampPem = `keys/timestamp-${timestampId.slice(0, 8)}.pem`;
  assert.equal(await mode(join(dir, timestampPem)), 0o600);
  assert.equal(await trust.timestampKeyPem(), await readFile(join(dir, timestampPem), 'utf8'));
  assert.deepEqual(await readJson(join(dir, 'keys.json')), {
    root: [{ keyid: rootId, file: rootPem }],
    release: [{ keyid: releaseId, file: releasePem }],
    timestamp: [{ keyid: timestampId, file: timestampPem }],
  });
});

test('rotate keeps the timestamp key unless asked, and replaces it on request', async (t) => {
  const dir = await tempTrustDir(t);
  const v1 = (await initTrust(dir)).root.signed;
  const v2 = (await rotateTrust(dir, { root: false, release: false })).root.signed;
  assert.deepEqual(v2.roles.timestamp, v1.roles.timestamp, 'kept unless asked');
  const v3 = (await rotateTrust(dir, { root: false, release: false, timestamp: true })).root.signed;
  assert.notDeepEqual(v3.roles.timestamp?.keyids, v2.roles.timestamp?.keyids);
  assert.match((await (await loadTrustDir(dir)).timestampKeyPem()) ?? '', /^-----BEGIN PRIVATE KEY-----/);
});

test('init honours expiresDays and refuses a dir that already has a root.json', async (t) => {
  const dir = await tempTrustDir(t);
  const { root } = await initTrust(dir, { expiresDays: 10 });
  assert.ok(Date.parse(root.signed.expires) <= Date.now() + 10 * DAY_MS);
  await rejectsCode(initTrust(dir), 'CONFLICT', /already holds a root\.json: use `skiff trust rotate/);
  await rejectsCode(initTrust(await tempTrustDir(t), { expiresDays: 0 }), 'INVALID_INPUT');
  await rejectsCode(initTrust(await tempTrustDir(t), { releaseThreshold: 0 }), 'INVALID_INPUT');
});

test('load returns the chain and signs releases with the current key', async (t) => {
  const dir = await tempTrustDir(t);
  await initTrust(dir);
  await rotateTrust(dir);
  const trust = await loadTrustDir(dir);
  assert.equal(trust.chain.length, 2);
  assert.equal(trust.root, trust.chain[1]);
  const bytes = new TextEncoder().encode('release');
  verifyRelease(verifyRootChain(trust.chain, trust.chain[0] ?? trust.root), bytes, trust.signRelease(bytes));
});

test('rotate replaces and revokes keys as asked, and keeps old private keys on disk', async (t) => {
  const dir = await tempTrustDir(t);
  const v1 = (await initTrust(dir)).root.signed;
  const v2 = (await rotateTrust(dir, { release: false })).root.signed;
  assert.notDeepEqual(v2.roles.root.keyids, v1.roles.root.keyids);
  assert.deepEqual(v2.roles.release, v1.roles.release);
  const v3 = (await rotateTrust(dir, { root: false, expiresDays: 30 })).root.signed;
  assert.deepEqual(v3.roles.root, v2.roles.root);
  assert.notDeepEqual(v3.roles.release.keyids, v2.roles.release.keyids);
  assert.ok(Date.parse(v3.expires) <= Date.now() + 30 * DAY_MS);
  assert.deepEqual(
    Object.keys(v3.keys).sort(),
    [...v3.roles.root.keyids, ...v3.roles.release.keyids, ...(v3.roles.timestamp?.keyids ?? [])].sort(),
    'revoked keys leave signed.keys',
  );
  const pems = await readdir(join(dir, 'keys'));
  assert.equal(pems.length, 5, 'two root keys, two release keys (old ones included) and the timestamp key');
  const keysJson = (await readJson(join(dir, 'keys.json'))) as { release: Array<{ keyid: string }> };
  assert.deepEqual(
    keysJson.release.map((k) => k.keyid),
    v3.roles.release.keyids,
  );
  const v4 = (await rotateTrust(dir, { root: false, release: false })).root.signed;
  assert.equal(v4.version, 4);
  assert.deepEqual(v4.roles, v3.roles);
});

test('load refuses a missing dir, a root.json that differs from the chain, and a gap in roots/', async (t) => {
  await rejectsCode(
    loadTrustDir(await tempTrustDir(t)),
    'NOT_FOUND',
    /root\.json does not exist: run `skiff trust init/
  );
  const dir = await tempTrustDir(t);
  await initTrust(dir);
  const first = await readFile(join(dir, 'root.json'));
  await rotateTrust(dir);
  await writeFile(join(dir, 'root.json'), first);
  await rejectsCode(loadTrustDir(dir), 'TRUST_INVALID', /root\.json differs from roots\/root\.2\.json/);

  const gapped = await tempTrustDir(t);
  await initTrust(gapped);
  await rotateTrust(gapped);
  await rotateTrust(gapped);
  await rm(join(gapped, 'roots', 'root.2.json'));
  await rejectsCode(loadTrustDir(gapped), 'TRUST_INVALID', /roots\/root\.2\.json is missing/);

  const renumbered = await tempTrustDir(t);
  await initTrust(renumbered);
  await writeFile(join(renumbered, 'roots', 'root.2.json'), await readFile(join(renumbered, 'root.json')));
  await rejectsCode(
    loadTrustDir(renumbered),
    'TRUST_INVALID',
    /roots\/root\.2\.json: signed\.version is 1, not 2/,
  );
});

test('load refuses a keys.json naming a revoked release key', async (t) => {
  const dir = await tempTrustDir(t);
  await initTrust(dir);
  const oldKeys = await readFile(join(dir, 'keys.json'));
  await rotateTrust(dir);
  await writeFile(join(dir, 'keys.json'), oldKeys);
  await rejectsCode(loadTrustDir(dir), 'TRUST_INVALID', /does not list as a release key/);
});
