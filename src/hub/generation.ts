// Per-replica caches that stay exact across replicas: each request reads the database's generation (which every
// committed change moves on) and uses a cached value only when it was computed under that same generation.
//
// fresh(): a request only takes a generation from a read that started after it arrived, so it sees every change
// committed before it came in; the requests that arrive while a read is in flight all share the next one, so the
// database sees at most one such read at a time. recent(): a read-only request may instead take a read that started
// at most `maxAgeMs` before it arrived, and after this replica's last write (invalidate()): a change made through
// another replica reaches it within that bound, one made through this replica at once. A recent() past half the bound
// starts the next read in the background.

import { performance } from 'node:perf_hooks';

export class FreshGeneration {
  readonly #read: () => Promise<number>;
  readonly #maxAgeMs: number;
  #running: Promise<number> | undefined;
  #queued: Promise<number> | undefined;
  /** The newest completed read and when it started. */
  #last: { value: number; startedAt: number } | undefined;
  /** Moves on with each invalidate(), so that a read in flight across a local write is not kept. */
  #epoch = 0;

  constructor(read: () => Promise<number>, opts: { maxAgeMs?: number } = {}) {
    this.#read = read;
    this.#maxAgeMs = opts.maxAgeMs ?? 0;
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

  /** The generation read at most maxAgeMs ago and since this replica's last write; undefined: call fresh(). */
  recent(): number | undefined {
    const last = this.#last;
    if (!last) return undefined;
    const age = performance.now() - last.startedAt;
    // Read ahead once half the bound has passed, so that steady traffic never finds its generation expired.
    if (age >= this.#maxAgeMs / 2 && !this.#running) this.#start();
    return age < this.#maxAgeMs ? last.value : undefined;
  }

  /** After a write through this replica: the next request reads anew. */
  invalidate(): void {
    this.#epoch++;
    this.#last = undefined;
  }

  #start(): Promise<number> {
    const startedAt = performance.now();
    const epoch = this.#epoch;
    const read = this.#read();
    this.#running = read;
    const done = (): void => {
      if (this.#running === read) this.#running = undefined;
    };
    read.then((value) => {
      done();
      if (epoch === this.#epoch && (!this.#last || startedAt >= this.#last.startedAt)) this.#last = { value, startedAt };
    }, done);
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
