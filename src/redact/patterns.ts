// The common shapes of secrets found in logs (tokens, credentials in URLs and headers, cloud keys, key=value pairs),
// as replacements applied to one line; a line never needs context from another for these.
export const REDACTED = '[REDACTED]';

interface Shape {
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

const KEY_NAMES =
  'password|passwd|pwd|pass|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|auth[_-]?token|token|private[_-]?key|secret[_-]?access[_-]?key|aws[_-]?secret[_-]?access[_-]?key';

/** Applied in order; each keeps the name of what it hides (the header, the key, the user) so a line stays readable. */
export const SECRET_SHAPES: readonly Shape[] = [
  // Authorization / Proxy-Authorization headers: the scheme stays, the credential goes.
  {
    pattern: /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|digest|token|negotiate|aws4-hmac-sha256)\s+)?([^\s"',;]+(?:[^\S\r\n]*,[^\S\r\n]*[a-z]+=[^\s"',;]+)*)/gi,
    replace: (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`,
  },
  // A bearer token anywhere else (curl -H, a client's debug output).
  {
    pattern: /\b(bearer\s+)(?!\[REDACTED\])[a-z0-9\-._~+/]{8,}=*/gi,
    replace: (_m, head: string) => `${head}${REDACTED}`,
  },
  // A password in a URL: scheme://user:password@host.
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi,
    replace: (_m, head: string) => `${head}${REDACTED}@`,
  },
  // AWS access key ids (long-term AKIA, temporary ASIA).
  {
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g,
    replace: () => REDACTED,
  },
  // name=value / name: value / "name": "value" pairs whose name says secret (password=..., api_key: ..., AWS secret keys).
  {
    pattern: new RegExp(`((?:${KEY_NAMES})["']?\\s*(?:=|:)\\s*)("[^"]*"|'[^']*'|[^\\s,;&"'}\\]]+)`, 'gi'),
    replace: (_m, head: string, value: string) => (value.startsWith(REDACTED) ? `${head}${value}` : `${head}${quoted(value)}`),
  },
  // An AWS secret access key on its own: 40 base64 characters with at least one of / or + and mixed case.
  {
    pattern: /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=]))(?=[^\s]*[/+])(?=[^\s]*[a-z])(?=[^\s]*[A-Z])[A-Za-z0-9/+]{40}/g,
    replace: () => REDACTED,
  },
];

function quoted(value: string): string {
  const q = value[0];
  return q === '"' || q === "'" ? `${q}${REDACTED}${q}` : REDACTED;
}

/** Every shape replaced in one line of text. */
export function redactShapes(line: string): string {
  return SECRET_SHAPES.reduce((out, shape) => out.replace(shape.pattern, shape.replace), line);
}
