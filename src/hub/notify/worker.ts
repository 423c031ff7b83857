// The delivery worker: takes due outbox rows by lease (so replicas share the work and a crashed hub's rows come back),
// sends at most `concurrency` at once, each within `timeoutMs`, and records every attempt; a failure is retried with
// exponential back-off until `maxAttempts`. It runs beside the hub, never inside a request: a slow receiver costs no
// caller anything. It also tells of instances silent for longer than `silentAfterMs`, once per silence.
import type { MetadataDb, OutboxRecord } from '../db/types.ts';
import type { Sealer } from '../auth/sealing.ts';
import { silenceItems } from './events.ts';
import { postWebhook, smtpMailer, type AttemptResult, type MailSettings, type Mailer } from './send.ts';

export interface NotifyOptions {
  readonly pollMs: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** The first retry's delay; each next one doubles, up to maxDelayMs. */
  readonly retryBaseMs: number;
  readonly maxDelayMs: number;
  readonly maxAttempts: number;
  /** An instance not seen for this long is told of (instance.silent); 0: never. */
  readonly silentAfterMs: number;
  readonly mail?: MailSettings;
}

export const DEFAULT_NOTIFY: NotifyOptions = {
  pollMs: 500, concurrency: 8, timeoutMs: 10_000, retryBaseMs: 10_000, maxDelayMs: 3_600_000, maxAttempts: 12, silentAfterMs: 15 * 60_000,
};

export const webhookSecretContext = (id: string): string => `webhook:${id}/secret`;

export function retryDelayMs(attempt: number, o: Pick<NotifyOptions, 'retryBaseMs' | 'maxDelayMs'>): number {
  return Math.min(o.maxDelayMs, o.retryBaseMs * 2 ** Math.max(0, attempt - 1));
}

export class NotifyWorker {
  readonly #db: MetadataDb;
  readonly #sealer: Sealer;
  readonly #opts: NotifyOptions;
  readonly #mail: Mailer;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #log: (msg: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #stopped = false;

  constructor(db: MetadataDb, sealer: Sealer, opts: Partial<NotifyOptions> = {}, log: (msg: string) => void = () => undefined) {
    this.#db = db;
    this.#sealer = sealer;
    this.#opts = { ...DEFAULT_NOTIFY, ...opts };
    this.#mail = smtpMailer(this.#opts.mail);
    this.#log = log;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#opts.pollMs);
    this.#timer.unref();
  }

  /** Stops taking work and waits for the attempts under way (each ends within its timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#inFlight]);
  }

  /** One round: tell new silences, then start the due deliveries there is room for. */
  async tick(): Promise<void> {
    if (this.#ticking || this.#stopped) return;
    this.#ticking = true;
    try {
      if (this.#opts.silentAfterMs > 0) await this.#tellSilences();
      const room = this.#opts.concurrency - this.#inFlight.size;
      if (room <= 0) return;
      const due = await this.#db.notify.claimDue(room, this.#opts.timeoutMs + 10_000);
      for (const d of due) {
        const p = this.#deliver(d).finally(() => this.#inFlight.delete(p));
        this.#inFlight.add(p);
      }
    } catch (e) {
      this.#log(`notification worker: ${(e as Error).message}`);
    } finally {
      this.#ticking = false;
    }
  }

  async #tellSilences(): Promise<void> {
    const hooks = await this.#db.notify.listWebhooks();
    if (hooks.length === 0) return;
    const customers = await this.#db.listCustomers();
    const names = new Map(customers.map((c) => [c.id, c.name]));
    const optedIn = new Set<string>();
    for (const h of hooks) if (h.customerId !== null && (await this.#db.notify.getCustomerNotify(h.customerId)).webhooks) optedIn.add(h.customerId);
    const before = new Date(Date.now() - this.#opts.silentAfterMs).toISOString();
    const minutes = Math.round(this.#opts.silentAfterMs / 60_000);
    await this.#db.notify.tellNewSilences(before, (s) => silenceItems(s, names.get(s.customerId) ?? s.customerId, minutes, hooks, optedIn));
  }

  async #deliver(d: OutboxRecord): Promise<void> {
    let result: AttemptResult;
    if (d.kind === 'email') {
      result = await this.#mail(JSON.parse(d.payload) as { to: string; subject: string; text: string }, this.#opts.timeoutMs);
    } else {
      const hook = await this.#db.notify.getWebhook(d.target);
      result = hook
        ? await postWebhook(hook.url, this.#sealer.unseal(hook.secretSealed, webhookSecretContext(hook.id)), d, this.#opts.timeoutMs)
        : { ok: false, status: null, error: 'the webhook endpoint was removed', durationMs: 0 };
      if (!hook) return this.#record(d, result, false);
    }
    await this.#record(d, result, true);
  }

  async #record(d: OutboxRecord, r: AttemptResult, mayRetry: boolean): Promise<void> {
    const attempt = d.attempts + 1;
    const retry = !r.ok && mayRetry && attempt < this.#opts.maxAttempts;
    const retryAt = retry ? new Date(Date.now() + retryDelayMs(attempt, this.#opts)).toISOString() : null;
    await this.#db.notify
      .recordAttempt(d.id, { status: r.status, durationMs: r.durationMs, error: r.error, delivered: r.ok, retryAt })
      .catch((e: unknown) => this.#log(`notification worker: recording delivery ${d.id} failed: ${(e as Error).message}`));
  }
}
