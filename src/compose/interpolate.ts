// Compose variable syntax in values: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME:+alt}, $NAME and $$.
import { SyntaxIssue } from './issues.ts';
import type { DocPath } from './issues.ts';

type Operator = ':-' | '-' | ':?' | '?' | ':+' | '+';

interface Variable {
  readonly name: string;
  readonly operator?: Operator;
  readonly argument?: readonly Part[];
}

type Part = string | Variable;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATOR = /^(:-|-|:\?|\?|:\+|\+)/;
const LITERAL_DOLLAR = 'write $$ for a literal $';

interface Scanned {
  readonly parts: Part[];
  readonly end: number;
}

function scan(text: string, start: number, inBraces: boolean): Scanned {
  const parts: Part[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push(literal);
    literal = '';
  };
  let i = start;
  while (i < text.length) {
    const ch = text[i];
    if (inBraces && ch === '}') break;
    if (ch !== '$') {
      literal += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      literal += '$';
      i += 2;
      continue;
    }
    const braced = next === '{';
    const name = NAME.exec(text.slice(i + (braced ? 2 : 1)))?.[0];
    if (name === undefined) {
      throw new SyntaxIssue(braced ? `has "\${" without a setting name: write \${NAME}, or ${LITERAL_DOLLAR}` : `has a lone "$": ${LITERAL_DOLLAR}`);
    }
    flush();
    if (!braced) {
      parts.push({ name });
      i += 1 + name.length;
      continue;
    }
    const after = i + 2 + name.length;
    if (text[after] === '}') {
      parts.push({ name });
      i = after + 1;
      continue;
    }
    const operator = OPERATOR.exec(text.slice(after))?.[0] as Operator | undefined;
    if (operator === undefined) throw new SyntaxIssue(`has an invalid reference to ${name}: write \${${name}} or \${${name}:-default}`);
    const inner = scan(text, after + operator.length, true);
    if (inner.end >= text.length) throw new SyntaxIssue(`has an unterminated "\${${name}": close it with }`);
    parts.push({ name, operator, argument: inner.parts });
    i = inner.end + 1;
  }
  flush();
  return { parts, end: i };
}

function parseTemplate(text: string): readonly Part[] {
  return scan(text, 0, false).parts;
}

export interface Reference {
  readonly name: string;
  /** The template still yields a value when the name has none (a default or an alternative). */
  readonly hasFallback: boolean;
}

/** Every setting a string refers to; throws SyntaxIssue on malformed syntax. */
export function templateReferences(text: string): Reference[] {
  const out: Reference[] = [];
  const walk = (parts: readonly Part[]): void => {
    for (const part of parts) {
      if (typeof part === 'string') continue;
      const hasFallback = part.operator !== undefined && !part.operator.endsWith('?');
      out.push({ name: part.name, hasFallback });
      if (part.argument !== undefined) walk(part.argument);
    }
  };
  walk(parseTemplate(text));
  return out;
}

/** `lookup` gives a setting's value (undefined: none); `missing` decides what an unset name without fallback yields. */
export function interpolate(text: string, lookup: (name: string) => string | undefined, missing: (name: string) => string): string {
  const render = (parts: readonly Part[]): string => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = lookup(part.name);
      const argument = (): string => render(part.argument ?? []);
      const empty = value === undefined || value === '';
      switch (part.operator) {
        case undefined:
          out += value ?? missing(part.name);
          break;
        case ':-':
          out += empty ? argument() : value;
          break;
        case '-':
          out += value ?? argument();
          break;
        case ':?':
        case '?':
          if (part.operator === ':?' ? empty : value === undefined) throw new SyntaxIssue(`needs setting ${part.name}: ${argument()}`);
          out += value;
          break;
        case ':+':
          out += empty ? '' : argument();
          break;
        case '+':
          out += value === undefined ? '' : argument();
          break;
      }
    }
    return out;
  };
  return render(parseTemplate(text));
}

/** Applies `map` to every string value (never to keys) of a JSON-like tree, passing each string's path. */
export function mapStrings(value: unknown, map: (text: string, path: DocPath) => string, path: DocPath = []): unknown {
  if (typeof value === 'string') return map(value, path);
  if (Array.isArray(value)) return value.map((item: unknown, index) => mapStrings(item, map, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map, [...path, key])]));
  }
  return value;
}
