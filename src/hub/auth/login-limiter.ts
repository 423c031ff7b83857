// Throttles password guessing: too many failed logins per address and username within a window answer 429.
import { SkiffError } from '../../util/errors.ts';

export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;

  constructor(opts: { maxFailures?: number; windowMs?: number } = {}) {
    this.#max = opts.maxFailures ?? 5;
    this.#windowMs = opts.windowMs ?? 60_000;
  }

  #recent(key: string, now: number): number[] {
    const list = (this.#failures.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }

  /** Throws RATE_LIMITED while the key is over its budget. */
  check(address: string, username: string, now = Date.now()): void {
    const key = `${address}\0${username}`;
    const recent = this.#recent(key, now);
    if (recent.length >= this.#max) {
      const wait = Math.ceil((this.#windowMs - (now - (recent[0] ?? now))) / 1000);
      throw new SkiffError('RATE_LIMITED', `too many failed logins for "${username}" from ${address}; retry in ${wait}s`);
    }
  }

  fail(address: string, username: string, now = Date.now()): void {
    const key = `${address}\0${username}`;
    this.#failures.set(key, [...this.#recent(key, now), now]);
  }

  succeed(address: string, username: string): void {
    this.#failures.delete(`${address}\0${username}`);
  }
}
