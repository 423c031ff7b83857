// Walks an uncompressed tar byte for byte and tells regular files' contents apart from everything else (headers, pax
// and GNU extension records, padding, the end blocks): contents get chunked, the rest is kept as literal bytes, so the
// exact tar can be rebuilt. A byte the walker cannot place stays literal: the rebuild is exact whatever the input.
const BLOCK = 512;
/** Regular files: '0', NUL (old tar) and '7' (contiguous). */
const REGULAR = new Set([0x30, 0x00, 0x37]);

export interface TarWalkSink {
  literal(bytes: Buffer): void;
  content(bytes: Buffer): void;
  /** The file whose content was just given ends. */
  contentEnd(): void;
}

function octal(h: Buffer, start: number, length: number): number | undefined {
  if ((h[start] ?? 0) & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + (h[i] ?? 0);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const text = h.toString('latin1', start, start + length).replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  const n = parseInt(text, 8);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The `size=` record of a pax header's data, which overrides the next header's size field. */
function paxSize(data: Buffer): number | undefined {
  const m = /(?:^|\n)\d+ size=(\d+)\n/.exec(data.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

type State = { kind: 'header' } | { kind: 'data'; length: number; left: number; content: boolean; pax?: Buffer[] } | { kind: 'pad'; left: number } | { kind: 'rest' };

/** A push parser: feed the tar in pieces with `write`, then `end`. */
export class TarWalker {
  readonly #sink: TarWalkSink;
  #state: State = { kind: 'header' };
  readonly #header = Buffer.alloc(BLOCK);
  #have = 0;
  #nextSize: number | undefined;

  constructor(sink: TarWalkSink) {
    this.#sink = sink;
  }

  write(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      const s = this.#state;
      if (s.kind === 'rest') {
        this.#sink.literal(data.subarray(at));
        return;
      }
      if (s.kind === 'header') {
        const n = Math.min(BLOCK - this.#have, data.length - at);
        data.copy(this.#header, this.#have, at, at + n);
        this.#have += n;
        at += n;
        if (this.#have === BLOCK) this.#onHeader();
        continue;
      }
      const n = Math.min(s.left, data.length - at);
      const piece = data.subarray(at, at + n);
      at += n;
      s.left -= n;
      if (s.kind === 'pad') this.#sink.literal(piece);
      else if (s.content) this.#sink.content(piece);
      else {
        this.#sink.literal(piece);
        s.pax?.push(Buffer.from(piece));
      }
      if (s.left === 0) this.#afterData();
    }
  }

  end(): void {
    if (this.#state.kind === 'header' && this.#have > 0) this.#sink.literal(Buffer.from(this.#header.subarray(0, this.#have)));
    else if (this.#state.kind === 'data' && this.#state.content) this.#sink.contentEnd();
    this.#have = 0;
  }

  #onHeader(): void {
    this.#have = 0;
    const h = Buffer.from(this.#header);
    this.#sink.literal(h);
    const size = octal(h, 124, 12);
    if (h.every((b) => b === 0) || size === undefined) {
      this.#state = { kind: 'rest' };
      return;
    }
    const type = h[156] ?? 0;
    const length = this.#nextSize ?? size;
    this.#nextSize = undefined;
    const content = REGULAR.has(type);
    this.#state = { kind: 'data', length, left: length, content, ...(type === 0x78 ? { pax: [] } : {}) };
    if (length === 0) this.#afterData();
  }

  #afterData(): void {
    const s = this.#state;
    if (s.kind !== 'data') {
      this.#state = { kind: 'header' };
      return;
    }
    if (s.pax) this.#nextSize = paxSize(Buffer.concat(s.pax));
    if (s.content) this.#sink.contentEnd();
    const pad = (BLOCK - (s.length % BLOCK)) % BLOCK;
    this.#state = pad > 0 ? { kind: 'pad', left: pad } : { kind: 'header' };
  }
}
