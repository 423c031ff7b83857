// The trust module's public API: canonical JSON, ed25519 signing, root.json chains and release verification.
export { canonicalJson, canonicalBytes } from './canonical-json.ts';
export { keyIdOf, signBytes, generateSigningKey, signingKeyFromPem, privateKeyPem, type SigningKey } from './keys.ts';
export { parseRoot, parseEnvelope, serializeRoot } from './parse.ts';
export { initTrust, rotateTrust, loadTrustDir } from './trust-dir.ts';
export {
  verifyThreshold,
  verifyRootSelfSigned,
  verifyRootChain,
  walkRootChain,
  verifyRelease,
  checkRootExpiry,
} from './verify.ts';
export type {
  Signature,
  SignatureEnvelope,
  RoleKeys,
  RoleName,
  PublicKeyEntry,
  RootSigned,
  RootMeta,
  TrustDir,
} from './types.ts';
