// ed25519 keys: generation, key ids, PEM files and raw signing with node:crypto.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { SkiffError } from '../util/index.ts';
import type { PublicKeyEntry, Signature } from './types.ts';

export interface SigningKey {
  readonly keyid: string;
  readonly privateKey: KeyObject;
  readonly publicEntry: PublicKeyEntry;
}

export function keyIdOf(publicKeySpkiDer: Buffer): string {
  const key = createPublicKey({ key: publicKeySpkiDer, format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SkiffError(
      'TRUST_INVALID',
      `public key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519: Skiff signs with ed25519 only`,
    );
  }
  return createHash('sha256').update(publicKeySpkiDer).digest('hex');
}

/** Compares two hex key ids (sha256) in constant time. */
export function sameKeyId(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

export function signBytes(privateKey: KeyObject, bytes: Uint8Array): Signature {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { keyid: keyIdOf(spki), sig: sign(null, bytes, privateKey).toString('base64') };
}

export function signingKeyOf(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SkiffError(
      'TRUST_INVALID',
      `private key is ${privateKey.asymmetricKeyType ?? 'unknown'}, not ed25519: Skiff signs with ed25519 only`,
    );
  }
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    keyid: keyIdOf(spki),
    privateKey,
    publicEntry: { keytype: 'ed25519', public: spki.toString('base64') },
  };
}

export function generateSigningKey(): SigningKey {
  return signingKeyOf(generateKeyPairSync('ed25519').privateKey);
}

export function privateKeyPem(key: SigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function signingKeyFromPem(pem: string, what: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new SkiffError(
      'TRUST_INVALID',
      `${what} is not a PKCS8 PEM private key: restore it from your key backup`,
      { cause: e },
    );
  }
  return signingKeyOf(privateKey);
}
