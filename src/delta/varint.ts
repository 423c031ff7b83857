// Unsigned LEB128 varints for the delta formats: a writer that grows, a reader that refuses to run past its input.
export class ByteWriter {
  #parts: Buffer[] = [];
  #scratch: number[] = [];

  uint(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not an unsigned integer: ${n}`);
    let v = n;
    while (v >= 0x80) {
      this.#scratch.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.#scratch.push(v);
    return this;
  }

  bytes(b: Buffer): this {
    this.#settle();
    this.#parts.push(b);
    return this;
  }

  #settle(): void {
    if (this.#scratch.length > 0) this.#parts.push(Buffer.from(this.#scratch));
    this.#scratch = [];
  }

  toBuffer(): Buffer {
    this.#settle();
    return Buffer.concat(this.#parts);
  }
}

export class ByteReader {
  readonly #buf: Buffer;
  #at = 0;
  readonly #what: () => Error;

  constructor(buf: Buffer, what: () => Error) {
    this.#buf = buf;
    this.#what = what;
  }

  uint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.#buf[this.#at++];
      if (b === undefined || scale > 2 ** 49) throw this.#what();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }

  bytes(length: number): Buffer {
    if (length > this.#buf.length - this.#at) throw this.#what();
    const b = this.#buf.subarray(this.#at, this.#at + length);
    this.#at += length;
    return b;
  }

  get done(): boolean {
    return this.#at === this.#buf.length;
  }
}
