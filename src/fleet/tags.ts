// Vendor-set tags on instances (key=value, lowercase) and the rule a rollout's target applies: every tag it names must
// match. Lowercase only, so the hub's substring match on the stored canonical JSON is exact on SQLite and PostgreSQL.
import * as z from 'zod';
import { SkiffError } from '../util/index.ts';

export const TAG_KEY = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const TAG_VALUE = /^[a-z0-9][a-z0-9._:-]{0,127}$/;
export const MAX_TAGS = 32;

export type Tags = Readonly<Record<string, string>>;

const TagValueSchema = z.string().regex(TAG_VALUE, 'a tag value is lowercase letters, digits, ".", "_", ":" or "-" (at most 128)');
export const TagsSchema = z.record(z.string(), TagValueSchema).superRefine((t, ctx) => {
  const keys = Object.keys(t);
  if (keys.length > MAX_TAGS) ctx.addIssue({ code: 'custom', message: `${keys.length} tags: at most ${MAX_TAGS}; remove some` });
  for (const k of keys.filter((x) => !TAG_KEY.test(x)))
    ctx.addIssue({ code: 'custom', path: [k], message: 'a tag key is lowercase letters, digits, ".", "_" or "-" (at most 63)' });
});

/** Tags checked against TagsSchema; INVALID_INPUT naming `what`, the tag and the rule when they are not. */
export function checkTags(value: unknown, what: string): Tags {
  const r = TagsSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new SkiffError('INVALID_INPUT', `${[what, ...(issue?.path ?? [])].join('.')}: ${issue?.message ?? 'invalid'}; see skiff instance tag --help`);
}

/** The tags in key order (the stored form, so equal tags are equal strings). */
export function canonicalTags(tags: Tags): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `k=v` as a tag; an error (USAGE for the CLI, INVALID_INPUT for the API) naming `what` and the rule when it is not one. */
export function parseTag(spec: string, what: string, code: 'USAGE' | 'INVALID_INPUT' = 'USAGE'): [string, string] {
  const at = spec.indexOf('=');
  const key = spec.slice(0, at);
  const value = spec.slice(at + 1);
  if (at < 1 || !TAG_KEY.test(key) || !TAG_VALUE.test(value))
    throw new SkiffError(code, `${what} "${spec}" is not a tag: write key=value in lowercase letters, digits, ".", "_", "-" (e.g. region=eu-west)`);
  return [key, value];
}

/** Every tag in `want` is in `have` with the same value (no tags wanted: every instance matches). */
export function matchesTags(have: Tags, want: Tags): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}
