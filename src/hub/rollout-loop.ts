// The rollout scheduler's timer in a hub replica: every tick it takes or renews the lease (one conditional UPDATE), and
// only while it holds it steps each running or paused rollout; a replica that lost the lease (or whose lease lapsed
// while it was away) does nothing, and each step re-checks the lease inside its transaction.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { errorMessage } from '../util/index.ts';
import type { MetadataDb } from './db/types.ts';
import { stepRollout } from './rollouts.ts';

export interface RolloutLoopOptions {
  /** How often the scheduler looks (default 2 s). */
  readonly tickMs: number;
  /** How long a taken lease lasts without renewal (default 15 s); another replica takes over after it. */
  readonly leaseMs: number;
  readonly log?: (message: string) => void;
  readonly now?: () => Date;
}

export const DEFAULT_ROLLOUT_LOOP: RolloutLoopOptions = { tickMs: 2000, leaseMs: 15_000 };

export class RolloutLoop {
  /** This replica's name in the lease and the audit log. */
  readonly holder = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  readonly #db: MetadataDb;
  readonly #opts: RolloutLoopOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #held = false;

  constructor(db: MetadataDb, opts: Partial<RolloutLoopOptions> = {}) {
    this.#db = db;
    this.#opts = { ...DEFAULT_ROLLOUT_LOOP, ...opts };
  }

  start(): void {
    const next = (): void => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        this.#running = this.tick().finally(next);
      }, this.#opts.tickMs);
    };
    next();
  }

  /** One look: take or renew the lease, then step every running or paused rollout while holding it. */
  async tick(): Promise<void> {
    const log = this.#opts.log ?? (() => undefined);
    try {
      const held = await this.#db.rollouts.acquireLease(this.holder, Date.now(), this.#opts.leaseMs);
      if (held !== this.#held) log(held ? `rollout scheduler: ${this.holder} holds the lease` : `rollout scheduler: ${this.holder} lost the lease`);
      this.#held = held;
      if (!held) return;
      const deadline = Date.now() + this.#opts.leaseMs;
      for (const r of await this.#db.rollouts.list({ states: ['running', 'paused'], limit: 1000 })) {
        if (this.#stopped || Date.now() >= deadline) break;
        await stepRollout(this.#db, r, this.holder, this.#opts.now?.() ?? new Date()).catch((e: unknown) => log(`rollout ${r.id}: ${errorMessage(e)}`));
      }
    } catch (e) {
      log(`rollout scheduler: ${errorMessage(e)}`);
    }
  }

  /** Stops the timer, lets a running tick end, and gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    if (this.#held) await this.#db.rollouts.releaseLease(this.holder).catch(() => undefined);
  }
}
