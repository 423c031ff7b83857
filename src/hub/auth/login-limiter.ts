// Throttles password guessing before any password is hashed, on every replica at once (the attempts are counted in the
// database): per address and user name, per address, and for the whole hub, which bounds the scrypt work of all of them.
import { SkiffError } from '../../util/index.ts';
import type { LoginCounts, MetadataDb } from '../db/types.ts';

export interface LoginLimits {
  /** Failed logins per address and user name within the window. */
  readonly maxFailures?: number;
  /** Failed logins per address, whatever the user names. */
  readonly maxPerAddress?: number;
  /** Failed logins on the whole hub (every address, every replica). */
  readonly maxGlobal?: number;
  readonly windowMs?: number;
  /** The clock (tests move it past the window). */
  readonly now?: () => Date;
}

/** A login let through to the password check; it counts as a failure unless it succeeds. */
export interface AdmittedLogin {
  succeeded(): Promise<void>;
}

type Over = 'user' | 'address' | 'global';

export class LoginLimiter {
  readonly #perUser: number;
  readonly #perAddress: number;
  readonly #global: number;
  readonly #windowMs: number;
  readonly #now: () => Date;

  constructor(opts: LoginLimits = {}) {
    this.#perUser = opts.maxFailures ?? 5;
    this.#perAddress = opts.maxPerAddress ?? 30;
    this.#global = opts.maxGlobal ?? 300;
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Which budget the counts have used up, if any. */
  #over(recent: LoginCounts): Over | undefined {
    if (recent.user >= this.#perUser) return 'user';
    if (recent.address >= this.#perAddress) return 'address';
    if (recent.total >= this.#global) return 'global';
    return undefined;
  }

  /**
   * Records the attempt before the password is checked, so that concurrent attempts cannot all pass one check; throws
   * RATE_LIMITED, having hashed nothing, when the address, the user name at that address or the hub is over budget.
   */
  async admit(db: MetadataDb, address: string, username: string): Promise<AdmittedLogin> {
    const key = username.toLowerCase();
    const { id, recent } = await db.admitLoginAttempt({ address, username: key, at: this.#now() }, this.#windowMs, (c) => this.#over(c) === undefined);
    if (id === undefined) {
      const wait = `retry in ${Math.ceil(this.#windowMs / 1000)}s`;
      const over = this.#over(recent);
      const message =
        over === 'user' ? `too many failed logins for "${username}" from ${address}; ${wait}`
        : over === 'address' ? `too many failed logins from ${address}; ${wait}`
        : `too many failed logins on this hub right now; ${wait}`;
      throw new SkiffError('RATE_LIMITED', message);
    }
    return { succeeded: () => db.forgetLoginAttempt(id) };
  }
}
