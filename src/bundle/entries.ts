// A bundle's tar entries read within BundleLimits: extension headers refused before tar-stream would buffer them,
// entries counted, small entries buffered only under their ceiling and what stays held accounted for.
import { Transform, finished, type Readable, type TransformCallback } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar, { type Extract } from 'tar-stream';
import { SkiffError } from '../util/index.ts';
import { BundleLimits } from './format.ts';
import { BundleStart } from './recognize.ts';

export type TarEntry = Extract extends AsyncIterable<infer E> ? E : never;

/** A tar entry's data as byte chunks (tar-stream types them loosely). */
export const entryBytes = (entry: TarEntry): AsyncIterable<Uint8Array> => entry as unknown as AsyncIterable<Uint8Array>;

export const bundleInvalid = (msg: string): SkiffError =>
  new SkiffError('BUNDLE_INVALID', `bundle is invalid: ${msg}`);

/**
 * Bytes per read of a bundle file (install and verify). Measured on a 3.2 GB bundle, `bundle verify` beside `openssl
 * dgst -sha256`: 256 KiB chunks are hashed while still in the CPU's cache, with the next read in flight meanwhile;
 * 1 MiB reads were 25–40 % slower, 4 MiB slower still, for the same CPU time.
 */
export const BUNDLE_READ_BYTES = 256 << 10;

const BLOCK = 512;
/** pax ('x', 'g') and GNU long name ('L', 'K') headers: a .skiff writer never emits them (its names are short ASCII). */
const EXTENSION_TYPES = new Set([0x78, 0x67, 0x4c, 0x4b]);

function octal(h: Buffer, start: number, length: number): number {
  const text = h
    .toString('latin1', start, start + length)
    .replace(/\0.*$/s, '')
    .trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** A header's data size (octal, or base-256 as tar-stream writes sizes of 8 GiB and more); undefined if unreadable. */
function entrySize(h: Buffer): number | undefined {
  if ((h[124] ?? 0) & 0x80) return h.subarray(125, 136).reduce((n, b) => n * 256 + b, 0);
  const n = octal(h, 124, 12);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function checksumMatches(h: Buffer): boolean {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += h[i] ?? 0;
  return sum === octal(h, 148, 8);
}

/** Follows the tar framing in front of tar-stream, which holds a pax or GNU long header whole in memory, whatever its size. */
class ExtensionHeaderGate extends Transform {
  readonly #header = Buffer.alloc(BLOCK);
  #have = 0;
  /** Data bytes (padded) before the next header. */
  #skip = 0;
  /** Framing lost (not a tar): tar-stream reports that itself. */
  #lost = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    for (let at = 0; !this.#lost && at < chunk.length;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - at);
        this.#skip -= n;
        at += n;
        continue;
      }
      const n = Math.min(BLOCK - this.#have, chunk.length - at);
      chunk.copy(this.#header, this.#have, at, at + n);
      this.#have += n;
      at += n;
      if (this.#have < BLOCK) break;
      this.#have = 0;
      const refused = this.#inspect();
      if (refused) return done(refused);
    }
    done(null, chunk);
  }

  #inspect(): SkiffError | undefined {
    const h = this.#header;
    if (h.every((b) => b === 0)) return undefined;
    const size = entrySize(h);
    if (!checksumMatches(h) || size === undefined) {
      this.#lost = true;
      return undefined;
    }
    if (EXTENSION_TYPES.has(h[156] ?? 0))
      return bundleInvalid(
        `it has a pax or GNU extended tar header (${size} bytes), which .skiff bundles never carry: it was re-packed by another tool or forged; use the file as the vendor made it`,
      );
    this.#skip = Math.ceil(size / BLOCK) * BLOCK;
    return undefined;
  }
}

/**
 * What each stage in front of the entries holds: about one chunk. The stages only look at headers, and every chunk they
 * buffered would be read from the source ahead of the reader, past an entry it is about to refuse.
 */
const STAGE_BUFFER = { highWaterMark: BLOCK };

/** The tar entries of `source`; an error or early close of the source, the start check or the gate ends the iteration with it. */
export function extractEntries(source: Readable, name: string): Extract {
  const start = new BundleStart(name, STAGE_BUFFER);
  const gate = new ExtensionHeaderGate(STAGE_BUFFER);
  const extract = tar.extract(STAGE_BUFFER);
  // finished() also reports a stream closed before its end (a source destroyed without an error), which pipe() never
  // passes on: the entries would wait for more data forever.
  for (const stage of [source, start, gate])
    finished(stage, (e) => {
      if (e) extract.destroy(e);
    });
  extract.on('close', () => {
    source.unpipe(start);
    source.destroy();
    start.destroy();
    gate.destroy();
  });
  source.pipe(start).pipe(gate).pipe(extract);
  return extract;
}

/** Counts entries and buffers small ones within their limits; its figures are the reader's own accounting. */
export class EntryBudget {
  #entries = 0;
  #retained = 0;
  #peak = 0;

  /** Counts one more tar entry; refuses the bundle past BundleLimits.entries. */
  count(name: string): void {
    if (++this.#entries > BundleLimits.entries)
      throw bundleInvalid(
        `${name} is entry ${this.#entries}, over the limit of ${BundleLimits.entries} entries in a .skiff bundle: it is damaged or forged`,
      );
  }

  /** Reads `entry` into memory if its declared `size` is within `limit`; a `retained` one also counts against BundleLimits.retainedBytes. */
  async read(
    entry: TarEntry | AsyncIterable<Uint8Array>,
    name: string,
    size: number,
    limit: { readonly what: string; readonly limit: number },
    retained = false,
  ): Promise<Buffer> {
    if (size > limit.limit)
      throw bundleInvalid(
        `${name} is ${size} bytes, over the ${limit.limit}-byte limit for ${limit.what}: the bundle is damaged or forged; ask the vendor for an intact copy`,
      );
    if (retained && this.#retained + size > BundleLimits.retainedBytes)
      throw bundleInvalid(
        `${name} (${size} bytes) would bring the trust and metadata entries held to ${this.#retained + size} bytes, over the ${BundleLimits.retainedBytes}-byte limit: the bundle is damaged or forged`,
      );
    const bytes = await buffer(entry);
    if (retained) this.#retained += bytes.length;
    this.#peak = Math.max(this.#peak, this.#retained + (retained ? 0 : bytes.length));
    return bytes;
  }

  /** The most bytes of entries held at once. */
  get peakBytes(): number {
    return this.#peak;
  }
}

/** A buffered metadata entry as JSON; BUNDLE_INVALID naming it when it is not. */
export function parseJsonEntry(raw: Buffer, name: string): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw bundleInvalid(`${name} is not JSON`);
  }
}
