// Per-replica caches that stay exact across replicas: each request reads the database's generation (which every
// committed change moves on) and uses a cached value only when it was computed under that same generation.
//
// Reads are fresh yet shared: a request only takes a generation from a read that started after it arrived, so it sees
// every change committed before it came in (a revoke made on any replica is never answered past); the requests that
// arrive while a read is in flight all share the next one, so the database sees at most one such read at a time.

export class FreshGeneration {
  readonly #read: () => Promise<number>;
  #running: Promise<number> | undefined;
  #queued: Promise<number> | undefined;

  constructor(read: () => Promise<number>) {
    this.#read = read;
  }

  /** The generation as of a moment after this call. */
  fresh(): Promise<number> {
    if (this.#queued) return this.#queued;
    const running = this.#running;
    if (!running) return this.#start();
    const settled = (): undefined => undefined;
    this.#queued = running.then(settled, settled).then(() => {
      this.#queued = undefined;
      return this.#start();
    });
    return this.#queued;
  }

  #start(): Promise<number> {
    const read = this.#read();
    this.#running = read;
    const done = (): void => {
      if (this.#running === read) this.#running = undefined;
    };
    read.then(done, done);
    return read;
  }
}

/**
 * Values computed under one generation; a newer generation empties it. A value from an older one is neither served nor
 * kept (its request read the generation before a change that a newer request has already seen).
 */
export class GenerationCache<V> {
  readonly #limit: number;
  readonly #values = new Map<string, V>();
  #generation = -1;

  constructor(limit = 100_000) {
    this.#limit = limit;
  }

  get(generation: number, key: string): V | undefined {
    this.#advance(generation);
    return generation === this.#generation ? this.#values.get(key) : undefined;
  }

  set(generation: number, key: string, value: V): void {
    this.#advance(generation);
    if (generation !== this.#generation) return;
    if (this.#values.size >= this.#limit) this.#values.clear();
    this.#values.set(key, value);
  }

  #advance(generation: number): void {
    if (generation <= this.#generation) return;
    this.#values.clear();
    this.#generation = generation;
  }
}
