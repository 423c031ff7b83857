// Desired-state answers: accepted only when signed by the app's timestamp key, for this instance, fresh and not older
// than one already accepted; every refusal names its reason.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signDesired, verifyDesired, type DesiredSigned } from '../../src/fleet/index.ts';
import { generateSigningKey, initTrust, signingKeyFromPem, type RootMeta, type SigningKey } from '../../src/trust/index.ts';
import { isSkiffError, type SkiffErrorCode } from '../../src/util/errors.ts';

describe('desired state', () => {
  let dir: string;
  let root: RootMeta;
  let key: SigningKey;
  const now = new Date('2026-11-30T12:00:00Z');
  const base: DesiredSigned = {
    _type: 'desired',
    app: 'netmon',
    instance: 'i-1',
    release: { version: '1.1.0', digest: `sha256:${'a'.repeat(64)}` },
    valuesDigest: null,
    windows: [],
    installNow: false,
    pollSeconds: 30,
    issued: '2026-11-30T11:59:00Z',
    expires: '2026-11-30T13:00:00Z',
  };
  const check = (extra: { lastIssued?: string; at?: Date } = {}) => ({ root, app: 'netmon', instance: 'i-1', now: extra.at ?? now, ...(extra.lastIssued ? { lastIssued: extra.lastIssued } : {}) });
  const refused = (body: unknown, code: SkiffErrorCode, re: RegExp, extra: { lastIssued?: string; at?: Date } = {}) =>
    assert.throws(() => verifyDesired(body, check(extra)), (e) => isSkiffError(e, code) && re.test(e.message));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-desired-'));
    const trust = await initTrust(join(dir, 'trust'));
    root = trust.root;
    key = signingKeyFromPem((await trust.timestampKeyPem()) ?? '', 'timestamp key');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('accepts a fresh answer signed by the timestamp key, and one issued later', () => {
    assert.deepEqual(verifyDesired(JSON.parse(JSON.stringify(signDesired(base, key))), check()), base);
    assert.ok(verifyDesired(signDesired({ ...base, issued: '2026-11-30T11:59:30Z' }, key), check({ lastIssued: base.issued })));
  });

  it('refuses unsigned, foreign-key, tampered, other-instance, expired and replayed answers', () => {
    refused({ signed: base, signatures: [] }, 'SIGNATURE_INVALID', /not signed by netmon's timestamp key/);
    refused(base, 'SIGNATURE_INVALID', /not a signed envelope/);
    refused(signDesired(base, generateSigningKey()), 'SIGNATURE_INVALID', /not signed by netmon's timestamp key/);
    const tampered = JSON.parse(JSON.stringify(signDesired(base, key))) as { signed: DesiredSigned };
    tampered.signed = { ...tampered.signed, release: { version: '6.6.6', digest: `sha256:${'b'.repeat(64)}` } };
    refused(tampered, 'SIGNATURE_INVALID', /not signed/);
    refused(signDesired({ ...base, instance: 'i-2' }, key), 'TRUST_INVALID', /for netmon instance i-2, not netmon instance i-1/);
    refused(signDesired(base, key), 'TRUST_EXPIRED', /expired at/, { at: new Date('2026-11-30T13:00:00Z') });
    refused(signDesired(base, key), 'TRUST_INVALID', /a replay/, { lastIssued: '2026-11-30T11:59:01Z' });
    refused({ signed: { ...base, extra: 1 }, signatures: [] }, 'SIGNATURE_INVALID', /malformed/);
  });
});

describe('enrollment roots', () => {
  it('believes the hub’s chain only when its first root hashes to the token’s', async () => {
    const { createHash } = await import('node:crypto');
    const { trustedChain } = await import('../../src/agent/connected/index.ts');
    const dir = await mkdtemp(join(tmpdir(), 'skiff-enroll-'));
    try {
      const trust = await initTrust(join(dir, 'trust'));
      const text = JSON.stringify(trust.root);
      const sha = createHash('sha256').update(text).digest('hex');
      assert.equal(trustedChain([text], sha, 'netmon').signed.version, 1);
      const other = JSON.stringify((await initTrust(join(dir, 'other'))).root);
      assert.throws(() => trustedChain([other], sha, 'netmon'), (e) => isSkiffError(e, 'TRUST_INVALID') && /as the enrollment token says/.test(e.message));
      assert.throws(() => trustedChain([], sha, 'netmon'), (e) => isSkiffError(e, 'TRUST_INVALID'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
