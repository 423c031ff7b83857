// Release signatures: current keys verify; revoked, unknown and tampered signatures are refused with distinct codes.
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  initTrust,
  parseEnvelope,
  rotateTrust,
  signBytes,
  verifyRelease,
  verifyRootChain,
  verifyThreshold,
} from '../../src/trust/index.ts';
import { tempTrustDir, throwsCode } from './fixtures.ts';

const release = new TextEncoder().encode('{"app":"netmon","version":"1.2.3"}');

test('a release signed with the current release key verifies, also after a round trip through JSON', async (t) => {
  const trust = await initTrust(await tempTrustDir(t));
  const envelope = trust.signRelease(release);
  verifyRelease(trust.root, release, envelope);
  verifyRelease(trust.root, release, parseEnvelope(JSON.stringify(envelope)));
});

test('a release signed with the old release key after rotation is KEY_REVOKED, naming the key and the root', async (t) => {
  const dir = await tempTrustDir(t);
  const v1 = await initTrust(dir);
  const oldEnvelope = v1.signRelease(release);
  const v2 = await rotateTrust(dir);
  const oldKey = v1.root.signed.roles.release.keyids[0] ?? '';
  assert.ok(!v2.root.signed.roles.release.keyids.includes(oldKey));
  throwsCode(
    () => verifyRelease(v2.root, release, oldEnvelope, v2.chain),
    'KEY_REVOKED',
    new RegExp(`^release is signed by key ${oldKey.slice(0, 8)}, which root version 2 revoked$`),
  );
  throwsCode(
    () => verifyRelease(v2.root, release, oldEnvelope),
    'SIGNATURE_INVALID',
    /does not list as release keys/,
  );
  verifyRelease(v2.root, release, v2.signRelease(release), v2.chain);
});

test('an agent that knows root 2 refuses a bundle carrying only root 1 and the revoked key', async (t) => {
  const dir = await tempTrustDir(t);
  const v1 = await initTrust(dir);
  const oldEnvelope = v1.signRelease(release);
  const v2 = await rotateTrust(dir);
  const trusted = verifyRootChain(v1.chain, v2.root);
  assert.equal(trusted, v2.root);
  throwsCode(
    () => verifyRelease(trusted, release, oldEnvelope, [...v1.chain, v2.root]),
    'KEY_REVOKED',
    /root version 2 revoked/,
  );
});

test('the revoking version is the first root without the key, not the latest', async (t) => {
  const dir = await tempTrustDir(t);
  const v1 = await initTrust(dir);
  const oldEnvelope = v1.signRelease(release);
  await rotateTrust(dir);
  const v3 = await rotateTrust(dir, { release: false });
  throwsCode(
    () => verifyRelease(v3.root, release, oldEnvelope, v3.chain),
    'KEY_REVOKED',
    /root version 2 revoked/,
  );
});

test('a release signed by an unknown key is SIGNATURE_INVALID', async (t) => {
  const trust = await initTrust(await tempTrustDir(t));
  const stranger = generateKeyPairSync('ed25519').privateKey;
  throwsCode(
    () => verifyRelease(trust.root, release, { signatures: [signBytes(stranger, release)] }, trust.chain),
    'SIGNATURE_INVALID',
    /not list as release keys/,
  );
});

test('a root key cannot sign releases', async (t) => {
  const dir = await tempTrustDir(t);
  const trust = await initTrust(dir);
  const rootKeyId = trust.root.signed.roles.root.keyids[0] ?? '';
  const pem = await readFile(join(dir, 'keys', `root-${rootKeyId.slice(0, 8)}.pem`), 'utf8');
  const envelope = { signatures: [signBytes(createPrivateKey(pem), release)] };
  throwsCode(() => verifyRelease(trust.root, release, envelope, trust.chain), 'SIGNATURE_INVALID');
});

test('tampered release bytes are SIGNATURE_INVALID', async (t) => {
  const trust = await initTrust(await tempTrustDir(t));
  const envelope = trust.signRelease(release);
  const tampered = new TextEncoder().encode('{"app":"netmon","version":"1.2.4"}');
  throwsCode(
    () => verifyRelease(trust.root, tampered, envelope, trust.chain),
    'SIGNATURE_INVALID',
    /does not verify: the release was modified/,
  );
});

test('a corrupted signature is SIGNATURE_INVALID', async (t) => {
  const trust = await initTrust(await tempTrustDir(t));
  const [sig] = trust.signRelease(release).signatures;
  assert.ok(sig);
  const bad = Buffer.from(sig.sig, 'base64');
  bad[0] = (bad[0] ?? 0) ^ 0xff;
  throwsCode(
    () =>
      verifyRelease(trust.root, release, { signatures: [{ keyid: sig.keyid, sig: bad.toString('base64') }] }),
    'SIGNATURE_INVALID',
  );
});

test('a threshold of two release keys needs two distinct valid signatures', async (t) => {
  const trust = await initTrust(await tempTrustDir(t), { releaseThreshold: 2 });
  const envelope = trust.signRelease(release);
  assert.equal(envelope.signatures.length, 2);
  verifyRelease(trust.root, release, envelope);
  const [first] = envelope.signatures;
  assert.ok(first);
  assert.equal(
    verifyThreshold(trust.root.signed, 'release', release, [first, first]),
    1,
    'the same key counts once',
  );
  throwsCode(
    () => verifyRelease(trust.root, release, { signatures: [first, first] }),
    'SIGNATURE_INVALID',
    /1 valid signature\(s\) of the 2 required by root version 1/,
  );
});
