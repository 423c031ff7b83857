// A budget for the read buffers of blob downloads: big chunks (fast for one stream) while few downloads run, small
// ones once it is spent, so memory stays bounded however many run at once. A download holds its lease until its
// response is done, not only until its file is read: the last chunk waits in the socket's queue until then.

export interface ReadLease {
  /** The chunk size (a stream's highWaterMark) this stream may use. */
  readonly chunkSize: number;
  /** Gives the budget back; safe to call more than once. */
  release(): void;
}

export class ReadBufferBudget {
  readonly capacity: number;
  readonly large: number;
  readonly small: number;
  #used = 0;

  constructor(opts: { capacity: number; large: number; small: number }) {
    this.capacity = opts.capacity;
    this.large = opts.large;
    this.small = opts.small;
  }

  /** Bytes of large chunks leased now. */
  get used(): number {
    return this.#used;
  }

  /** A large chunk while it fits the budget, else a small one (not counted: a small chunk is never refused). */
  lease(): ReadLease {
    if (this.#used + this.large > this.capacity) return { chunkSize: this.small, release: () => undefined };
    this.#used += this.large;
    let held = true;
    return {
      chunkSize: this.large,
      release: () => {
        if (held) this.#used -= this.large;
        held = false;
      },
    };
  }
}

/** The process's budget: 1 MiB chunks serve one download fastest (256 KiB cost a third of its throughput); 64 at most, then 64 KiB. */
export const blobReadBudget = new ReadBufferBudget({ capacity: 64 << 20, large: 1 << 20, small: 64 << 10 });
