// Verification: signature thresholds, the root rotation chain, expiry, and release signatures (with revocation).
import { createPublicKey, verify } from 'node:crypto';
import { SkiffError } from '../util/index.ts';
import { canonicalBytes } from './canonical-json.ts';
import { keyIdOf, sameKeyId } from './keys.ts';
import type {
  PublicKeyEntry,
  RoleName,
  RootMeta,
  RootSigned,
  Signature,
  SignatureEnvelope,
} from './types.ts';

const id8 = (keyid: string): string => keyid.slice(0, 8);

function signatureVerifies(keyid: string, entry: PublicKeyEntry, sig: Signature, bytes: Uint8Array): boolean {
  try {
    const der = Buffer.from(entry.public, 'base64');
    if (!sameKeyId(keyIdOf(der), keyid)) return false;
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    return verify(null, bytes, key, Buffer.from(sig.sig, 'base64'));
  } catch {
    return false;
  }
}

/** How many distinct keys of `role` made a valid signature over `bytes`. */
export function verifyThreshold(
  root: RootSigned,
  role: RoleName,
  bytes: Uint8Array,
  sigs: readonly Signature[],
): number {
  const allowed = new Set(root.roles[role]?.keyids ?? []);
  const valid = new Set<string>();
  for (const sig of sigs) {
    if (!allowed.has(sig.keyid) || valid.has(sig.keyid)) continue;
    const entry = root.keys[sig.keyid];
    if (entry && signatureVerifies(sig.keyid, entry, sig, bytes)) valid.add(sig.keyid);
  }
  return valid.size;
}

/** Throws TRUST_INVALID unless `signatures` over `signed` meet the root-role threshold of `by`. */
function requireRootThreshold(target: RootMeta, by: RootSigned, whose: string): void {
  const count = verifyThreshold(by, 'root', canonicalBytes(target.signed), target.signatures);
  const need = by.roles.root.threshold;
  if (count < need) {
    throw new SkiffError(
      'TRUST_INVALID',
      `root.json version ${target.signed.version} has ${count} valid signature(s) of the ${need} required by ${whose} root keys: it is forged or damaged; ask the vendor for an intact root chain`,
    );
  }
}

/** A root an agent or hub pins must be signed by a threshold of its own root keys. */
export function verifyRootSelfSigned(root: RootMeta): void {
  requireRootThreshold(root, root.signed, 'its own');
}

/** Follows the rotation chain from `trusted` without checking expiry (the vendor side must load expired roots to renew them). */
export function walkRootChain(chain: readonly RootMeta[], trusted: RootMeta): RootMeta {
  let current = trusted;
  for (const next of chain) {
    const from = current.signed.version;
    const to = next.signed.version;
    if (to <= from) continue;
    if (to !== from + 1) {
      throw new SkiffError(
        'TRUST_INVALID',
        `root chain jumps from version ${from} to ${to}: root.json version ${from + 1} is missing; ask the vendor for a bundle carrying every root from version 1`,
      );
    }
    requireRootThreshold(next, current.signed, `root version ${from}'s`);
    requireRootThreshold(next, next.signed, 'its own');
    current = next;
  }
  return current;
}

export function checkRootExpiry(root: RootMeta, now: Date = new Date()): void {
  if (Date.parse(root.signed.expires) <= now.getTime()) {
    throw new SkiffError(
      'TRUST_EXPIRED',
      `root.json version ${root.signed.version} expired on ${root.signed.expires}: ask the vendor for a bundle carrying a newer root`,
    );
  }
}

/**
 * Walks a chain (root.1..root.N as carried in a bundle) from `trusted`, the root the verifier already trusts
 * (pinned or persisted), and returns the newest root reached; a chain that does not go past `trusted` returns it.
 */
export function verifyRootChain(
  chain: readonly RootMeta[],
  trusted: RootMeta,
  now: Date = new Date(),
): RootMeta {
  const latest = walkRootChain(chain, trusted);
  checkRootExpiry(latest, now);
  return latest;
}

/** The root version that removed `sig`'s key from the release role, if that key validly signed `bytes` in an earlier root. */
function revokingVersion(
  sig: Signature,
  bytes: Uint8Array,
  root: RootMeta,
  chain: readonly RootMeta[],
): number | undefined {
  let lastHad: number | undefined;
  for (const earlier of chain) {
    const { version, roles, keys } = earlier.signed;
    const entry = keys[sig.keyid];
    if (version >= root.signed.version || !roles.release.keyids.includes(sig.keyid) || !entry) continue;
    if (signatureVerifies(sig.keyid, entry, sig, bytes) && (lastHad === undefined || version > lastHad))
      lastHad = version;
  }
  if (lastHad === undefined) return undefined;
  const after = lastHad;
  const revokers = [...chain, root]
    .filter((r) => r.signed.version > after && !r.signed.roles.release.keyids.includes(sig.keyid))
    .map((r) => r.signed.version);
  return Math.min(...revokers);
}

/**
 * Requires a threshold of `root`'s release keys to have signed exactly `releaseBytes`.
 * `chain` (earlier roots) only serves to tell a revoked key (KEY_REVOKED) from an unknown one (SIGNATURE_INVALID).
 */
export function verifyRelease(
  root: RootMeta,
  releaseBytes: Uint8Array,
  envelope: SignatureEnvelope,
  chain: readonly RootMeta[] = [],
): void {
  const { version, roles } = root.signed;
  const need = roles.release.threshold;
  const count = verifyThreshold(root.signed, 'release', releaseBytes, envelope.signatures);
  if (count >= need) return;
  const outsiders = envelope.signatures.filter((s) => !roles.release.keyids.includes(s.keyid));
  for (const sig of outsiders) {
    const revokedBy = revokingVersion(sig, releaseBytes, root, chain);
    if (revokedBy !== undefined) {
      throw new SkiffError(
        'KEY_REVOKED',
        `release is signed by key ${id8(sig.keyid)}, which root version ${revokedBy} revoked`,
      );
    }
  }
  const insiders = envelope.signatures.filter((s) => roles.release.keyids.includes(s.keyid));
  const bad = insiders.find((s) => {
    const entry = root.signed.keys[s.keyid];
    return !entry || !signatureVerifies(s.keyid, entry, s, releaseBytes);
  });
  if (bad) {
    throw new SkiffError(
      'SIGNATURE_INVALID',
      `release signature by key ${id8(bad.keyid)} does not verify: the release was modified after signing; ask the vendor for an intact copy`,
    );
  }
  if (count > 0) {
    throw new SkiffError(
      'SIGNATURE_INVALID',
      `release has ${count} valid signature(s) of the ${need} required by root version ${version}: ask the vendor to sign it with more release keys`,
    );
  }
  const ids = outsiders.map((s) => id8(s.keyid)).join(', ') || 'none';
  throw new SkiffError(
    'SIGNATURE_INVALID',
    `release is signed by key(s) ${ids}, which root version ${version} does not list as release keys: it comes from another vendor or needs a newer root`,
  );
}
