// Canonical JSON (RFC 8785) through the `canonicalize` package: the same value always yields the same bytes to sign and hash.
import canonicalize from 'canonicalize';
import { SkiffError } from '../util/index.ts';

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) {
    throw new SkiffError('INVALID_INPUT', 'cannot write canonical JSON of undefined: pass a JSON value');
  }
  return text;
}

export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
