// Runs the Compose subset schema over a plain document and turns zod's findings into path-named issues.
import * as z from 'zod';
import { closestKey, found } from './issues.ts';
import type { DocPath, Issue } from './issues.ts';
import { composeSchema } from './schema.ts';
import type { ComposeFile } from './schema.ts';

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

const isIgnoredExtension = (key: string): boolean => key.startsWith('x-') && key !== 'x-skiff';

/** Compose ignores `x-` extension fields at the top level and in services; Skiff drops them so the release stays plain JSON. */
export function dropExtensions(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out = Object.fromEntries(Object.entries(value).filter(([key]) => !isIgnoredExtension(key)));
  if (isRecord(out['services'])) {
    out['services'] = Object.fromEntries(
      Object.entries(out['services']).map(([name, service]) => [
        name,
        isRecord(service) ? Object.fromEntries(Object.entries(service).filter(([key]) => !key.startsWith('x-'))) : service,
      ]),
    );
  }
  return out;
}

const KIND: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  null: 'empty',
};

function describe(issue: z.core.$ZodRawIssue): string {
  if (issue.input === undefined && issue.code !== 'unrecognized_keys') return 'is required';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${KIND[issue.expected] ?? issue.expected} (found ${found(issue.input)})`;
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string' ? 'must not be empty' : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    default:
      return 'is not valid';
  }
}

const HINTS: Readonly<Record<string, string>> = {
  build: '; build the image beforehand and name it with image:',
  version: '; the Compose Specification made it obsolete, delete it',
};

function toIssues(issues: readonly z.core.$ZodIssue[], prefix: DocPath): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path: DocPath = [...prefix, ...issue.path.filter((s): s is string | number => typeof s !== 'symbol')];
    if (issue.code === 'unrecognized_keys') {
      // `closed` in schema.ts gives this issue the supported keys as its message.
      const supported = issue.message.split(', ');
      for (const key of issue.keys) {
        const meant = HINTS[key] === undefined ? closestKey(key, supported) : undefined;
        const message = meant === undefined ? `is not supported by Skiff (supported: ${issue.message})${HINTS[key] ?? ''}` : `is not supported by Skiff: did you mean ${meant}?`;
        out.push({ path: [...path, key], message, unsupported: true });
      }
    } else if (issue.code === 'invalid_union') {
      // The branch whose type matched explains the problem better than the union's summary.
      const matched = issue.errors.filter((branch) => !branch.every((b) => b.path.length === 0 && b.code === 'invalid_type'));
      const only = matched.length === 1 ? matched[0] : undefined;
      if (only !== undefined) out.push(...toIssues(only, path));
      else out.push({ path, message: issue.message });
    } else if (issue.code === 'invalid_key') {
      out.push({ path, message: issue.issues[0]?.message ?? issue.message });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

export type Validated = { readonly file: ComposeFile; readonly raw: unknown } | { readonly issues: readonly Issue[] };

export function validateCompose(value: unknown): Validated {
  if (!isRecord(value)) return { issues: [{ path: [], message: `must be a mapping with services (found ${found(value)})` }] };
  const raw = dropExtensions(value);
  const result = composeSchema.safeParse(raw, { error: describe });
  if (result.success) return { file: result.data, raw };
  return { issues: toIssues(result.error.issues, []) };
}
