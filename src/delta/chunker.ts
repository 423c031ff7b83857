// Content-defined chunking (FastCDC with normalized chunking): a gear hash over file contents cuts chunks where the
// content, not the offset, says so, so an edit or an insertion moves only the chunks around it. Skiff's own format:
// the gear table and the cut rule are fixed, so the same bytes always cut the same way, at the vendor and the agent.
import { createHash } from 'node:crypto';

/**
 * 256 fixed 32-bit values from sha256("skiff-gear-<i>"): changing them changes every chunk digest. Signed (Int32Array,
 * `| 0`) because V8 keeps int32 arithmetic in registers; uint32 values above 2^31 become heap numbers (20x slower).
 */
const GEAR = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) t[i] = createHash('sha256').update(`skiff-gear-${i}`).digest().readInt32BE(0);
  return t;
})();

/** The average chunk size every release indexes with (chosen by bench/delta.ts: 16, 32 and 64 KiB measured). */
export const DEFAULT_AVERAGE = 32 << 10;

export interface ChunkParams {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
  /** More mask bits before the average (cuts rarer), fewer after (cuts sooner): sizes cluster near the average. */
  readonly maskSmall: number;
  readonly maskLarge: number;
}

/** Masks on the hash's high bits: a 32-bit gear hash shifted left carries the last 32 bytes there. */
const highMask = (bits: number): number => (bits <= 0 ? 0 : (-1 << (32 - bits)) | 0);

export function chunkParams(avg: number = DEFAULT_AVERAGE): ChunkParams {
  const bits = Math.round(Math.log2(avg));
  if (2 ** bits !== avg || bits < 8 || bits > 22) throw new RangeError(`chunk average ${avg} is not a power of two between 256 B and 4 MiB`);
  return { min: avg >> 2, avg, max: avg << 3, maskSmall: highMask(bits + 1), maskLarge: highMask(bits - 1) };
}

/**
 * Cuts one file's content, fed in pieces, into chunks; `end()` emits the rest. Each file starts afresh, so a file's
 * chunks depend on its bytes alone (not on the files before it in the layer).
 */
export class ContentChunker {
  readonly #p: ChunkParams;
  readonly #emit: (chunk: Buffer) => void;
  #pending: Buffer[] = [];
  #pendingLength = 0;
  #hash = 0;

  constructor(params: ChunkParams, emit: (chunk: Buffer) => void) {
    this.#p = params;
    this.#emit = emit;
  }

  write(data: Buffer): void {
    let start = 0;
    const { min, avg, max, maskSmall, maskLarge } = this.#p;
    let len = this.#pendingLength;
    let h = this.#hash;
    for (let i = 0; i < data.length; i++) {
      len++;
      if (len <= min) continue;
      h = ((h << 1) + GEAR[data[i]!]!) | 0;
      if ((h & (len < avg ? maskSmall : maskLarge)) === 0 || len >= max) {
        this.#push(data.subarray(start, i + 1));
        this.#flush();
        start = i + 1;
        len = 0;
        h = 0;
      }
    }
    if (start < data.length) this.#push(data.subarray(start));
    this.#pendingLength = len;
    this.#hash = h;
  }

  end(): void {
    if (this.#pendingLength > 0) this.#flush();
    this.#pendingLength = 0;
    this.#hash = 0;
  }

  #push(piece: Buffer): void {
    // Copied: the caller's buffer may be reused once write() returns.
    this.#pending.push(Buffer.from(piece));
  }

  #flush(): void {
    const chunk = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#emit(chunk);
  }
}
