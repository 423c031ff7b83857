// The root rotation chain: self-signed roots, walking root.1..N, and refusing forged, gapped or expired chains.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import {
  canonicalBytes,
  initTrust,
  parseRoot,
  rotateTrust,
  serializeRoot,
  signBytes,
  verifyRootChain,
  verifyRootSelfSigned,
  type RootMeta,
} from '../../src/trust/index.ts';
import { tempTrustDir, throwsCode } from './fixtures.ts';

const DAY_MS = 86_400_000;

async function threeRoots(t: TestContext): Promise<readonly [RootMeta, RootMeta, RootMeta]> {
  const dir = await tempTrustDir(t);
  await initTrust(dir);
  await rotateTrust(dir);
  const { chain } = await rotateTrust(dir);
  const [r1, r2, r3] = chain;
  assert.ok(r1 && r2 && r3 && chain.length === 3);
  return [r1, r2, r3];
}

test('a new root is signed by its own root key', async (t) => {
  const dir = await tempTrustDir(t);
  const { root } = await initTrust(dir);
  assert.equal(root.signed.version, 1);
  verifyRootSelfSigned(root);
  verifyRootSelfSigned(parseRoot(serializeRoot(root)));
});

test('rotating twice yields a chain that verifies from root 1', async (t) => {
  const [r1, r2, r3] = await threeRoots(t);
  assert.notDeepEqual(r2.signed.roles.root.keyids, r1.signed.roles.root.keyids);
  assert.equal(r2.signatures.length, 2, 'root 2 carries the old and the new root key signatures');
  const reached = verifyRootChain([r1, r2, r3], r1);
  assert.equal(reached.signed.version, 3);
  const fromDisk = [r1, r2, r3].map((r, i) => parseRoot(serializeRoot(r), `root.${i + 1}.json`));
  assert.equal(verifyRootChain(fromDisk, r1).signed.version, 3);
});

test('a verifier that already trusts a newer root skips older roots and keeps its own', async (t) => {
  const [r1, r2, r3] = await threeRoots(t);
  assert.equal(verifyRootChain([r1, r2, r3], r2), r3);
  assert.equal(
    verifyRootChain([r1, r2], r3),
    r3,
    'a bundle that stops at root 2 does not take the agent back',
  );
  assert.equal(verifyRootChain([], r2), r2);
});

test('a root whose signature by the previous root key was removed is refused', async (t) => {
  const [r1, r2, r3] = await threeRoots(t);
  const oldKey = r1.signed.roles.root.keyids[0];
  const stripped: RootMeta = { ...r2, signatures: r2.signatures.filter((s) => s.keyid !== oldKey) };
  throwsCode(
    () => verifyRootChain([r1, stripped, r3], r1),
    'TRUST_INVALID',
    /root\.json version 2 .*root version 1's root keys/,
  );
});

test("a root without its own new root key's signature is refused", async (t) => {
  const [r1, r2] = await threeRoots(t);
  const newKey = r2.signed.roles.root.keyids[0];
  const stripped: RootMeta = { ...r2, signatures: r2.signatures.filter((s) => s.keyid !== newKey) };
  throwsCode(
    () => verifyRootChain([r1, stripped], r1),
    'TRUST_INVALID',
    /root\.json version 2 .*its own root keys/,
  );
});

test('a forged signature under a trusted key id is refused', async (t) => {
  const [r1, r2] = await threeRoots(t);
  const impostor = generateKeyPairSync('ed25519').privateKey;
  const forged: RootMeta = {
    ...r2,
    signatures: r2.signatures.map((s) => ({
      keyid: s.keyid,
      sig: signBytes(impostor, canonicalBytes(r2.signed)).sig,
    })),
  };
  throwsCode(() => verifyRootChain([r1, forged], r1), 'TRUST_INVALID', /version 2/);
});

test('a root whose signed content was changed after signing is refused', async (t) => {
  const [r1, r2] = await threeRoots(t);
  const changed: RootMeta = {
    ...r2,
    signed: { ...r2.signed, expires: new Date(Date.now() + 9999 * DAY_MS).toISOString() },
  };
  throwsCode(() => verifyRootChain([r1, changed], r1), 'TRUST_INVALID', /version 2/);
});

test('a root signed only by a key outside the root role is refused', async (t) => {
  const [r1, r2] = await threeRoots(t);
  const outsider = generateKeyPairSync('ed25519').privateKey;
  const forged: RootMeta = { ...r2, signatures: [signBytes(outsider, canonicalBytes(r2.signed))] };
  throwsCode(() => verifyRootChain([r1, forged], r1), 'TRUST_INVALID', /0 valid signature/);
  throwsCode(() => verifyRootSelfSigned(forged), 'TRUST_INVALID', /its own root keys/);
});

test('a chain that skips a version is refused, naming the missing version', async (t) => {
  const [r1, , r3] = await threeRoots(t);
  throwsCode(
    () => verifyRootChain([r1, r3], r1),
    'TRUST_INVALID',
    /from version 1 to 3: root\.json version 2 is missing/,
  );
});

test('an expired latest root is refused with TRUST_EXPIRED naming its version and date', async (t) => {
  const [r1, r2, r3] = await threeRoots(t);
  const later = new Date(Date.now() + 400 * DAY_MS);
  throwsCode(
    () => verifyRootChain([r1, r2, r3], r1, later),
    'TRUST_EXPIRED',
    new RegExp(`version 3 expired on ${r3.signed.expires.replace(/\./g, '\\.')}: ask the vendor`),
  );
  throwsCode(() => verifyRootChain([], r1, later), 'TRUST_EXPIRED', /version 1 expired/);
});

test('an expired intermediate root does not stop the walk when the latest is current', async (t) => {
  const dir = await tempTrustDir(t);
  await initTrust(dir, { expiresDays: 1 });
  const { chain } = await rotateTrust(dir, { expiresDays: 30 });
  const [r1] = chain;
  assert.ok(r1);
  assert.equal(verifyRootChain(chain, r1, new Date(Date.now() + 10 * DAY_MS)).signed.version, 2);
});
