// Problems found in a Compose file or values: a path inside the document, a message, and how paths print.

export type DocPath = readonly (string | number)[];

/** Thrown by the small syntax parsers (ports, volumes, durations…); the caller adds the path and line. */
export class SyntaxIssue extends Error {}

export interface Issue {
  readonly path: DocPath;
  readonly message: string;
  /** The key at `path` is outside Skiff's Compose subset. */
  readonly unsupported?: boolean;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `services.web.ports[0]`, `labels["com.example.tier"]`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** What a value is, for "must be X (found Y)" messages. */
export function found(input: unknown): string {
  if (input === null) return 'nothing';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}
