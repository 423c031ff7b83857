// Tells a .skiff bundle from any other file by its first tar header, before the tar parser (or anything else) sees it,
// so a wrong file is named as such instead of failing deep inside the tar library.
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { SkiffError } from '../util/index.ts';

const BLOCK = 512;
const BUNDLE_PREFIX = 'skiff/';
/** Header types that describe the next entry (pax, GNU long names): the tar parser decides what follows. */
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

const text = (b: Buffer, start: number, length: number): string => {
  const field = b.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
};

function checksumOk(header: Buffer): boolean {
  const stored = parseInt(text(header, 148, 8).trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += header[i] ?? 0;
  return sum === stored;
}

/** Why `head` (a file's first bytes, at most one tar block) is not the start of a .skiff bundle; undefined when it is. */
export function notABundle(name: string, head: Buffer): SkiffError | undefined {
  const not = (why: string) => new SkiffError('BUNDLE_INVALID', `${name} is not a .skiff bundle: ${why}`);
  if (head.length === 0) return new SkiffError('BUNDLE_TRUNCATED', `${name} is empty: copy the bundle again`);
  if (head[0] === 0x1f && head[1] === 0x8b) return not('it is gzip-compressed; if it is a compressed bundle, gunzip it first');
  if (head.subarray(0, 4).toString('latin1') === 'PK\x03\x04') return not('it is a zip archive; unzip it and use the .skiff file inside');
  if (head.length < BLOCK) {
    if (head.subarray(0, BUNDLE_PREFIX.length).toString('latin1') === BUNDLE_PREFIX)
      return new SkiffError('BUNDLE_TRUNCATED', `${name} is truncated: it ends after ${head.length} bytes; copy the bundle again`);
    return not(`it is ${head.length} bytes and does not start with a tar header (a .skiff file is a tar written by skiff bundle create or fetch)`);
  }
  if (!checksumOk(head)) return not('it does not start with a tar header (a .skiff file is a tar written by skiff bundle create or fetch)');
  const prefix = text(head, 345, 155);
  const entry = prefix ? `${prefix}/${text(head, 0, 100)}` : text(head, 0, 100);
  if (META_TYPES.has(String.fromCharCode(head[156] ?? 0)) || entry.startsWith(BUNDLE_PREFIX)) return undefined;
  return not(`it is a tar whose first entry is ${JSON.stringify(entry)}, where a .skiff bundle starts with ${BUNDLE_PREFIX}trust/`);
}

/** Passes a stream through unchanged once its first tar header is a bundle's; fails with `notABundle` otherwise. */
export class BundleStart extends Transform {
  readonly #name: string;
  #head: Buffer[] = [];
  #headBytes = 0;
  #recognised = false;

  constructor(name: string, options?: TransformOptions) {
    super(options);
    this.#name = name;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#recognised) return cb(null, chunk);
    this.#head.push(chunk);
    this.#headBytes += chunk.length;
    if (this.#headBytes < BLOCK) return cb();
    this.#release(cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.#recognised) return cb();
    this.#release(cb);
  }

  #release(cb: TransformCallback): void {
    const all = Buffer.concat(this.#head);
    this.#head = [];
    const wrong = notABundle(this.#name, all.subarray(0, BLOCK));
    if (wrong) return cb(wrong);
    this.#recognised = true;
    cb(null, all);
  }
}
