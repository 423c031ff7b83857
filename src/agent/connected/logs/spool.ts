// The agent's bounded on-disk log spool: redacted lines wait here, numbered, until the hub has them.
//
//   <state>/connected/logs/
//     spool.json          the stream id, the last sequence number the hub acknowledged, lines dropped, read cursors
//     seg-<first seq>.jsonl  segments of numbered lines, one JSON object a line, oldest first
//
// A read cursor (per container: the engine timestamp of its last spooled line; per file: inode and offset) is the
// last one spooled for its source, recovered from the segments themselves: a line is spooled and its cursor moves in
// one write, so an agent killed at any point neither loses nor re-reads a line. When the segments outgrow their budget the oldest goes, shipped or not, and its lines are counted.
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../../util/index.ts';

export interface SpoolLine {
  readonly seq: number;
  readonly at: string;
  readonly service: string;
  readonly source: string;
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly message: string;
}

/** A line to spool, with the read position it moves its source's cursor to. */
export interface SpoolEntry extends Omit<SpoolLine, 'seq'> {
  readonly cursorKey: string;
  readonly cursor: string;
}

export interface SpoolLimits {
  /** All segments together; default 64 MiB. */
  readonly budgetBytes?: number;
  /** A segment is closed at this size; default 1 MiB. */
  readonly segmentBytes?: number;
}

interface Meta {
  stream: string;
  shipped: number;
  dropped: number;
  cursors: Record<string, string>;
}

interface Segment {
  readonly file: string;
  readonly first: number;
  last: number;
  size: number;
}

type Record_ = SpoolLine & { k: string; c: string };

const SEGMENT = /^seg-(\d{16})\.jsonl$/;

export class LogSpool {
  readonly dir: string;
  readonly #budget: number;
  readonly #segmentBytes: number;
  readonly #segments: Segment[] = [];
  #meta: Meta;
  #nextSeq = 1;
  #lock: Promise<unknown> = Promise.resolve();
  #waiters: (() => void)[] = [];

  private constructor(dir: string, meta: Meta, limits: SpoolLimits) {
    this.dir = dir;
    this.#meta = meta;
    this.#budget = limits.budgetBytes ?? 64 * 1024 * 1024;
    this.#segmentBytes = limits.segmentBytes ?? 1024 * 1024;
  }

  /** Opens (or creates) the spool in `dir`, recovering the last sequence number and every cursor from its segments. */
  static async open(dir: string, limits: SpoolLimits = {}): Promise<LogSpool> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const meta = await readFile(join(dir, 'spool.json'), 'utf8').then((t) => JSON.parse(t) as Meta, () => undefined);
    const spool = new LogSpool(dir, meta ?? { stream: randomBytes(12).toString('base64url'), shipped: 0, dropped: 0, cursors: {} }, limits);
    if (!meta) await spool.#saveMeta();
    spool.#nextSeq = spool.#meta.shipped + 1;
    for (const name of (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort()) {
      const file = join(dir, name);
      const records = parseRecords(await readFile(file, 'utf8'));
      const seg: Segment = { file, first: Number(SEGMENT.exec(name)?.[1]), last: 0, size: (await stat(file)).size };
      for (const r of records) {
        seg.last = Math.max(seg.last, r.seq);
        spool.#meta.cursors[r.k] = r.c;
      }
      spool.#nextSeq = Math.max(spool.#nextSeq, seg.last + 1);
      spool.#segments.push(seg);
    }
    return spool;
  }

  get stream(): string {
    return this.#meta.stream;
  }
  get dropped(): number {
    return this.#meta.dropped;
  }
  /** Lines spooled and not yet acknowledged by the hub. */
  get pending(): number {
    return this.#nextSeq - 1 - this.#meta.shipped;
  }
  cursor(key: string): string | undefined {
    return this.#meta.cursors[key];
  }

  /** Numbers and appends the entries in one write; then drops the oldest segments while over budget. */
  append(entries: readonly SpoolEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.#exclusive(async () => {
      let seg = this.#segments.at(-1);
      if (!seg || seg.size >= this.#segmentBytes) {
        seg = { file: join(this.dir, `seg-${String(this.#nextSeq).padStart(16, '0')}.jsonl`), first: this.#nextSeq, last: 0, size: 0 };
        this.#segments.push(seg);
      }
      const text = entries
        .map(({ cursorKey, cursor, ...line }) => {
          const seq = this.#nextSeq++;
          this.#meta.cursors[cursorKey] = cursor;
          return `${JSON.stringify({ seq, ...line, k: cursorKey, c: cursor })}\n`;
        })
        .join('');
      await appendFile(seg.file, text, { mode: 0o600 });
      seg.last = this.#nextSeq - 1;
      seg.size += Buffer.byteLength(text);
      await this.#enforceBudget();
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Up to `maxLines` (and about `maxBytes`) of the oldest lines not yet acknowledged, in order. */
  nextBatch(maxLines: number, maxBytes = 4 * 1024 * 1024): Promise<SpoolLine[]> {
    return this.#exclusive(async () => {
      const out: SpoolLine[] = [];
      let bytes = 0;
      for (const seg of this.#segments) {
        if (seg.last <= this.#meta.shipped) continue;
        for (const { k: _k, c: _c, ...line } of parseRecords(await readFile(seg.file, 'utf8').catch(() => ''))) {
          if (line.seq <= this.#meta.shipped) continue;
          if (out.length >= maxLines || bytes >= maxBytes) return out;
          out.push(line);
          bytes += line.message.length + 128;
        }
      }
      return out;
    });
  }

  /** The hub has every line up to `seq`: forget the segments wholly behind it. */
  ack(seq: number): Promise<void> {
    return this.#exclusive(async () => {
      if (seq <= this.#meta.shipped) return;
      this.#meta.shipped = seq;
      await this.#saveMeta();
      while (this.#segments[0] && this.#segments[0].last <= seq && (this.#segments.length > 1 || this.#segments[0].last === this.#nextSeq - 1)) {
        const done = this.#segments.shift();
        if (done) await rm(done.file, { force: true });
      }
    });
  }

  /** Resolves when lines are appended, or after `ms`. */
  waitForLines(ms: number): Promise<void> {
    if (this.pending > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#waiters.push(() => (clearTimeout(t), resolve()));
    });
  }

  async #enforceBudget(): Promise<void> {
    let total = this.#segments.reduce((n, s) => n + s.size, 0);
    while (total > this.#budget && this.#segments.length > 1) {
      const oldest = this.#segments.shift();
      if (!oldest) break;
      total -= oldest.size;
      const unshipped = Math.max(0, oldest.last - Math.max(this.#meta.shipped, oldest.first - 1));
      this.#meta.dropped += unshipped;
      this.#meta.shipped = Math.max(this.#meta.shipped, oldest.last);
      await rm(oldest.file, { force: true });
      await this.#saveMeta();
    }
  }

  async #saveMeta(): Promise<void> {
    await writeJsonAtomic(join(this.dir, 'spool.json'), this.#meta, 0o600);
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#lock.then(fn, fn);
    this.#lock = p.catch(() => undefined);
    return p;
  }
}

/** The records of a segment; a torn last line (the agent killed mid-write) is skipped. */
function parseRecords(text: string): Record_[] {
  const out: Record_[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as Record_);
    } catch {
      // torn write: that line was never counted as spooled
    }
  }
  return out;
}
