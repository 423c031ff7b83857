// Repository names, tags and references as the OCI Distribution Spec defines them.
import { isDigest, type Digest } from '../digest.ts';

const NAME_RE = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** The spec bounds a name (with its registry host) to 255 characters. */
const MAX_NAME_LENGTH = 255;

export function isRepositoryName(s: string): boolean {
  return s.length <= MAX_NAME_LENGTH && NAME_RE.test(s);
}

export function isTag(s: string): boolean {
  return TAG_RE.test(s);
}

export type Reference = { readonly kind: 'digest'; readonly digest: Digest } | { readonly kind: 'tag'; readonly tag: string };

/** A manifest reference: a digest when it has an algorithm prefix, else a tag; undefined when it is neither. */
export function parseReference(s: string): Reference | 'invalid-digest' | undefined {
  if (s.includes(':')) return isDigest(s) ? { kind: 'digest', digest: s } : 'invalid-digest';
  return isTag(s) ? { kind: 'tag', tag: s } : undefined;
}
