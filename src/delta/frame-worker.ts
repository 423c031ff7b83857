// Rebuilds stored-gzip layers on other cores: a small pool of worker threads, each given a planned recipe (which bytes
// of which files, in order) in segments, reads them, hashes the tar (diffID), frames it as src/oci/stored-gzip.ts does,
// hashes and writes the blob and fsyncs it. Segments come as the main thread can plan them: a layer's framing starts
// while its chunk pack still decompresses, with the chunks the base holds and those unpacked so far. The worker runs from the source text of one function (no module graph to load, the
// same under tsx and in dist/); nothing it reports is trusted: the caller checks both digests against the signed ones.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type * as Crypto from 'node:crypto';
import type * as Fs from 'node:fs';
import type * as WorkerThreads from 'node:worker_threads';
import type * as Zlib from 'node:zlib';

/** A part of the recipe: `spans` (source, start, end) and `pieces` (span or -1 for the literal bytes, offset, length), as triples. */
export interface FrameSegment {
  /** Every source the job has used so far (the spans name them by position): a later segment may add some. */
  readonly sources: readonly { readonly path: string; readonly storedTarSize: number | null }[];
  readonly spans: Float64Array;
  readonly pieces: Float64Array;
  readonly literal: Uint8Array;
}

/** A layer to frame: its tar's size and the blob file to write (fsynced when the job succeeds); its segments follow. */
export interface FrameStart {
  readonly tarSize: number;
  readonly out: string;
}

type FrameMessage = { readonly start: FrameStart } | { readonly segment: FrameSegment } | { readonly end: boolean };

/** `short`: a span lay past the end of its source (a damaged bundle or base), `error` otherwise an I/O failure. */
export type FrameResult = { readonly diffId: string; readonly digest: string; readonly size: number } | { readonly error: string; readonly short: boolean };

interface Modules {
  readonly wt: typeof WorkerThreads;
  readonly fs: typeof Fs;
  readonly crypto: typeof Crypto;
  readonly zlib: typeof Zlib;
}

/** The worker's code. Self-contained: it runs from its source text, so it may use nothing outside itself. */
function frameWorker(m: Modules): void {
  const BLOCK = 65535;
  const HEAD = 5;
  const OUT = 16 * (HEAD + BLOCK);
  const SYNC_AHEAD = 8 << 20;
  const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  const blobOffset = (t: number): number => HEADER.length + Math.floor(t / BLOCK) * (HEAD + BLOCK) + HEAD + (t % BLOCK);
  const aside = Buffer.allocUnsafe(HEAD);
  let spanBuf = Buffer.allocUnsafe(4 << 20);
  const frame = Buffer.allocUnsafe(OUT);
  const short = (why: string): Error => Object.assign(new Error(why), { short: true });

  function readSpan(fd: number, storedTarSize: number | null, into: Buffer, start: number): void {
    const length = into.length;
    if (storedTarSize === null) {
      if (m.fs.readSync(fd, into, 0, length, start) !== length) throw short('a span ends past its file');
      return;
    }
    if (start + length > storedTarSize) throw short('a span ends past its stored layer');
    const parts: Buffer[] = [];
    for (let t = start; t < start + length; ) {
      const n = Math.min(start + length, (Math.floor(t / BLOCK) + 1) * BLOCK) - t;
      if (parts.length > 0) parts.push(aside);
      parts.push(into.subarray(t - start, t - start + n));
      t += n;
    }
    let pos = blobOffset(start);
    for (let i = 0; i < parts.length; i += 1000) {
      const batch = parts.slice(i, i + 1000);
      const size = batch.reduce((s, b) => s + b.length, 0);
      if (m.fs.readvSync(fd, batch, pos) !== size) throw short('a span ends past its stored layer');
      pos += size;
    }
  }

  /** One layer: segments are framed as they come (while the main thread still unpacks the chunks of later ones). */
  function open(job: FrameStart) {
    const fds: number[] = [];
    const out = m.fs.openSync(job.out, 'w');
    // The blob is flushed to disk as it is written, a few MiB behind (on libuv's threads, between segments): the
    // final fsync then waits for little, where it waited ~0.1 s per 100 MB layer.
    let synced = 0;
    let syncing: Promise<void> | undefined;
    const syncAhead = (): void => {
      if (syncing || written - synced < SYNC_AHEAD) return;
      const upTo = written;
      syncing = new Promise((resolve) =>
        m.fs.fdatasync(out, () => {
          synced = upTo;
          syncing = undefined;
          resolve();
        }),
      );
    };
    const close = async (): Promise<void> => {
      await syncing;
      for (const fd of fds) m.fs.closeSync(fd);
      m.fs.closeSync(out);
    };
    const tarHash = m.crypto.createHash('sha256');
    const blobHash = m.crypto.createHash('sha256');
    let written = 0;
    const emit = (b: Buffer): void => {
      blobHash.update(b);
      for (let at = 0; at < b.length; ) at += m.fs.writeSync(out, b, at, b.length - at, written + at);
      written += b.length;
    };
    emit(HEADER);
    let crc = 0;
    let pos = 0;
    let o = 0;
    let fill = 0;
    const closeBlock = (): void => {
      frame[o] = pos === job.tarSize ? 1 : 0;
      frame.writeUInt16LE(fill, o + 1);
      frame.writeUInt16LE(~fill & 0xffff, o + 3);
      o += HEAD + fill;
      fill = 0;
      if (o === OUT) {
        emit(frame);
        o = 0;
      }
    };
    const push = (bytes: Buffer): void => {
      if (pos + bytes.length > job.tarSize) throw short('the recipe is longer than its tar');
      tarHash.update(bytes);
      crc = m.zlib.crc32(bytes, crc);
      for (let at = 0; at < bytes.length; ) {
        const n = Math.min(BLOCK - fill, bytes.length - at);
        bytes.copy(frame, o + HEAD + fill, at, at + n);
        fill += n;
        at += n;
        pos += n;
        if (fill === BLOCK) closeBlock();
      }
    };
    const segment = (seg: FrameSegment): void => {
      for (let k = fds.length; k < seg.sources.length; k++) fds.push(m.fs.openSync(seg.sources[k]!.path, 'r'));
      const literal = Buffer.from(seg.literal.buffer, seg.literal.byteOffset, seg.literal.length);
      let current = -1;
      let span = spanBuf.subarray(0, 0);
      for (let i = 0; i < seg.pieces.length; i += 3) {
        const [which, at, length] = [seg.pieces[i]!, seg.pieces[i + 1]!, seg.pieces[i + 2]!];
        if (length === 0) continue;
        if (which < 0) {
          push(literal.subarray(at, at + length));
          continue;
        }
        if (which !== current) {
          current = which;
          const [source, start, end] = [seg.spans[3 * which]!, seg.spans[3 * which + 1]!, seg.spans[3 * which + 2]!];
          if (end - start > spanBuf.length) spanBuf = Buffer.allocUnsafe(end - start);
          span = spanBuf.subarray(0, end - start);
          readSpan(fds[source]!, seg.sources[source]!.storedTarSize, span, start);
        }
        push(span.subarray(at, at + length));
      }
      syncAhead();
    };
    const end = async (): Promise<FrameResult> => {
      if (pos !== job.tarSize) throw short('the recipe is shorter than its tar');
      if (fill > 0 || job.tarSize === 0) closeBlock();
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(crc >>> 0, 0);
      trailer.writeUInt32LE(job.tarSize % 2 ** 32, 4);
      emit(Buffer.concat([frame.subarray(0, o), trailer]));
      await syncing;
      m.fs.fsyncSync(out);
      return { diffId: `sha256:${tarHash.digest('hex')}`, digest: `sha256:${blobHash.digest('hex')}`, size: written };
    };
    return { segment, end, close };
  }

  const failed = (e: unknown): FrameResult => ({ error: e instanceof Error ? e.message : String(e), short: (e as { short?: boolean }).short === true });
  let job: ReturnType<typeof open> | undefined;
  let error: FrameResult | undefined;
  const guard = async (f: () => unknown): Promise<void> => {
    try {
      await f();
    } catch (e) {
      error ??= failed(e);
    }
  };
  // A job is a start, segments, and an end (true: frame the rest and report; false: the caller gave up), answered
  // once, at its end. The first error is what the end reports; segments after it are dropped. Nothing comes after an
  // end until it is answered. One message a turn of the event loop: a port hands over all that wait at once, and
  // the flushes (syncAhead) complete only between turns.
  const handle = (msg: FrameMessage): void => {
    if ('start' in msg) {
      error = undefined;
      void guard(() => (job = open(msg.start)));
    } else if ('segment' in msg) {
      if (!error) void guard(() => job!.segment(msg.segment));
    } else {
      const ending = job;
      job = undefined;
      void (async () => {
        let result: FrameResult | undefined;
        if (!error) await guard(async () => (result = msg.end ? await ending!.end() : failed(new Error('the rebuild was abandoned'))));
        await guard(() => ending?.close());
        m.wt.parentPort!.postMessage(error ?? result);
      })();
    }
  };
  const inbox: FrameMessage[] = [];
  const next = (): void => {
    const msg = inbox.shift();
    if (!msg) return;
    handle(msg);
    if (inbox.length > 0) setImmediate(next);
  };
  m.wt.parentPort!.on('message', (msg: FrameMessage) => {
    if (inbox.push(msg) === 1) setImmediate(next);
  });
}

/** `__name`: the helper tsx's transform (keepNames) calls inside functions, which a worker's source text lacks. */
const SOURCE = `const __name = (f) => f;\n(${frameWorker.toString()})({ wt: require('node:worker_threads'), fs: require('node:fs'), crypto: require('node:crypto'), zlib: require('node:zlib') });`;

/** One layer being framed on a worker (LayerFramer.open). */
export interface FrameSession {
  send(segment: FrameSegment): void;
  end(finish: boolean): Promise<FrameResult>;
}

interface Slot {
  readonly worker: Worker;
  settle?: (r: FrameResult | Error) => void;
}

/** Up to one worker per core (at most `max`), started on first use and reused; `close()` ends them. */
export class LayerFramer {
  readonly #max: number;
  readonly #idle: Slot[] = [];
  readonly #waiting: ((slot: Slot) => void)[] = [];
  readonly #all = new Set<Slot>();

  constructor(max = Math.min(2, availableParallelism())) {
    this.#max = Math.max(1, max);
  }

  /**
   * Starts framing a layer on the next free worker: `send` its segments in recipe order as they become known (they
   * queue until a worker is free), then `end(true)` for the result, or `end(false)` to give up (the worker closes the
   * blob file; the caller removes it). Every session must be ended: it holds its worker until then.
   */
  open(start: FrameStart): FrameSession {
    this.warm();
    const ready = this.#slot().then((slot) => {
      const done = new Promise<FrameResult | Error>((resolve) => (slot.settle = resolve));
      slot.worker.ref();
      slot.worker.postMessage({ start } satisfies FrameMessage);
      return { slot, done };
    });
    return {
      send: (segment) => void ready.then(({ slot }) => slot.worker.postMessage({ segment } satisfies FrameMessage)),
      end: async (finish) => {
        const { slot, done } = await ready;
        try {
          slot.worker.postMessage({ end: finish } satisfies FrameMessage);
          const r = await done;
          if (r instanceof Error) throw r;
          return r;
        } finally {
          slot.settle = undefined;
          slot.worker.unref();
          if (this.#all.has(slot)) this.#release(slot);
          else this.#waiting.shift()?.(this.#start());
        }
      },
    };
  }

  /** Starts every worker now (a start takes tens of milliseconds): a caller about to open sessions calls it first. */
  warm(): void {
    while (this.#all.size < this.#max) this.#idle.push(this.#start());
  }

  async close(): Promise<void> {
    const slots = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #slot(): Promise<Slot> {
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#all.size < this.#max) return Promise.resolve(this.#start());
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(slot: Slot): void {
    const next = this.#waiting.shift();
    if (next) next(slot);
    else this.#idle.push(slot);
  }

  #start(): Slot {
    // No execArgv: the worker needs no loader (tsx's would take most of a second to start in it).
    const worker = new Worker(SOURCE, { eval: true, execArgv: [] });
    worker.unref();
    const slot: Slot = { worker };
    worker.on('message', (r: FrameResult) => slot.settle?.(r));
    worker.on('error', (e) => {
      this.#all.delete(slot);
      slot.settle?.(e);
    });
    worker.on('exit', () => {
      if (this.#all.delete(slot)) slot.settle?.(new Error('a layer framing worker exited'));
    });
    this.#all.add(slot);
    return slot;
  }
}
