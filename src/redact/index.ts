// Redaction before anything leaves the host: the values of a release's secret settings and the common shapes of
// secrets (tokens, credentials in URLs and headers, cloud keys, private key blocks), replaced by one fixed marker.
import { REDACTED, redactShapes } from './patterns.ts';

export { REDACTED } from './patterns.ts';

const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----/;
const PEM_END = /-----END ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----/;
const PEM_ONE_LINE = /(-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----)[\s\S]*?(-----END \2PRIVATE KEY\3-----)/g;
/** A private key block longer than this is not a key; stop hiding lines so a stray BEGIN cannot blank a log forever. */
const PEM_MAX_LINES = 400;

/** The values of the secret settings, among the values a release runs with (the names from `secretNames`). */
export function secretSettingValues(names: Iterable<string>, values: Readonly<Record<string, string>>): string[] {
  return [...names].map((n) => values[n] ?? '').filter((v) => v !== '');
}

/** Replaces the given secret values (longest first, so no part of one is left) and the common secret shapes in a text without line breaks. */
export function redactLine(secrets: readonly string[], line: string): string {
  return redactShapes(replaceValues(sortLongestFirst(secrets), line));
}

/**
 * A redactor for one stream of lines. It is stateful because a private key block spans lines: between a BEGIN and
 * its END every line is hidden.
 */
export class LineRedactor {
  readonly #secrets: readonly string[];
  #inKeyBlock = 0;

  constructor(secrets: Iterable<string>) {
    this.#secrets = sortLongestFirst(secrets);
  }

  /** One line (no trailing newline) with its secrets replaced. */
  line(line: string): string {
    const text = replaceValues(this.#secrets, line).replace(PEM_ONE_LINE, `$1${REDACTED}$4`);
    if (this.#inKeyBlock > 0) {
      const end = PEM_END.exec(text);
      if (!end) {
        this.#inKeyBlock = this.#inKeyBlock >= PEM_MAX_LINES ? 0 : this.#inKeyBlock + 1;
        return REDACTED;
      }
      this.#inKeyBlock = 0;
      return `${REDACTED}${end[0]}${this.#rest(text.slice(end.index + end[0].length))}`;
    }
    return this.#rest(text);
  }

  /** A whole text, line by line, keeping its line breaks. */
  text(text: string): string {
    return text
      .split('\n')
      .map((l) => this.line(l))
      .join('\n');
  }

  // The part of a line outside any key block: shapes replaced, and a BEGIN without its END opens a block.
  #rest(text: string): string {
    const begin = PEM_BEGIN.exec(text);
    if (!begin || PEM_END.test(text.slice(begin.index))) return redactShapes(text);
    this.#inKeyBlock = 1;
    const head = begin.index + begin[0].length;
    return `${redactShapes(text.slice(0, begin.index))}${begin[0]}${head < text.length ? REDACTED : ''}`;
  }
}

/**
 * A redactor for a stream that arrives in chunks cut anywhere (a secret may be split across two): it holds the
 * unfinished last line until its end arrives, so redaction always sees whole lines. A line longer than `maxLine` is
 * cut there (at the last blank before it when there is one).
 */
export class ChunkRedactor {
  readonly #lines: LineRedactor;
  readonly #maxLine: number;
  #pending = '';

  constructor(secrets: Iterable<string>, maxLine = 16 * 1024) {
    this.#lines = new LineRedactor(secrets);
    this.#maxLine = maxLine;
  }

  /** The whole lines completed by this chunk, redacted (without their newlines). */
  push(chunk: string): string[] {
    this.#pending += chunk;
    const out: string[] = [];
    let nl: number;
    while ((nl = this.#pending.indexOf('\n')) >= 0) {
      out.push(this.#lines.line(this.#pending.slice(0, nl).replace(/\r$/, '')));
      this.#pending = this.#pending.slice(nl + 1);
    }
    while (this.#pending.length > this.#maxLine) {
      const blank = this.#pending.lastIndexOf(' ', this.#maxLine);
      const cut = blank > this.#maxLine / 2 ? blank + 1 : this.#maxLine;
      out.push(this.#lines.line(this.#pending.slice(0, cut)));
      this.#pending = this.#pending.slice(cut);
    }
    return out;
  }

  /** The unfinished last line, if any, redacted (at the end of the stream). */
  flush(): string[] {
    const rest = this.#pending;
    this.#pending = '';
    return rest === '' ? [] : [this.#lines.line(rest)];
  }
}

function sortLongestFirst(values: Iterable<string>): string[] {
  return [...new Set(values)].filter((v) => v !== '').sort((a, b) => b.length - a.length || a.localeCompare(b));
}

function replaceValues(secrets: readonly string[], text: string): string {
  return secrets.reduce((out, secret) => (out.includes(secret) ? out.split(secret).join(REDACTED) : out), text);
}
