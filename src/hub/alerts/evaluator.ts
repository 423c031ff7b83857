// Evaluates the alert rules against the database on a timer and records transitions in the alert state table. Each
// transition is recorded by exactly one replica (a conditional write) and only that one announces it to the
// listeners (the webhooks of src/hub/notify/ are wired there), so several replicas never notify twice.
import { errorMessage } from '../../util/index.ts';
import type { MetadataDb } from '../db/types.ts';
import { ALERT_RULES, alertKey, evaluateRules, type AlertRule } from './rules.ts';

/** One alert turning on or off, for one instance. */
export interface AlertTransition {
  readonly rule: AlertRule;
  /** The Prometheus alert name of the same rule. */
  readonly alertname: string;
  readonly state: 'firing' | 'resolved';
  readonly at: string;
  readonly instanceId: string;
  readonly instance: string;
  readonly customer: string;
  readonly app: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export type AlertListener = (t: AlertTransition) => void;

export interface AlertOptions {
  /** How often the rules run; 0: never on a timer (evaluate() by hand). Default 30 s. */
  readonly everyMs?: number;
  readonly silentAfterMs?: number;
}

export class AlertEvaluator {
  readonly #db: MetadataDb;
  readonly #opts: AlertOptions;
  readonly #listeners: AlertListener[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<AlertTransition[]> | undefined;

  constructor(db: MetadataDb, opts: AlertOptions = {}) {
    this.#db = db;
    this.#opts = opts;
  }

  /** Called with every transition this replica records (after it is committed). */
  onTransition(listener: AlertListener): void {
    this.#listeners.push(listener);
  }

  start(log: (message: string) => void): void {
    const every = this.#opts.everyMs ?? 30_000;
    if (every <= 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.evaluate().catch((e: unknown) => log(`alert evaluation failed: ${errorMessage(e)}`)), every);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One evaluation (one at a time per replica); returns the transitions this replica recorded. */
  evaluate(now: Date = new Date()): Promise<AlertTransition[]> {
    const run = (this.#running ?? Promise.resolve([])).catch(() => []).then(() => this.#evaluate(now));
    this.#running = run;
    return run;
  }

  async #evaluate(now: Date): Promise<AlertTransition[]> {
    const observe = this.#db.observe;
    const signals = await observe.instanceSignals();
    const byId = new Map(signals.map((s) => [s.id, s]));
    const firing = evaluateRules(signals, now, { silentAfterMs: this.#opts.silentAfterMs });
    const open = await observe.listAlerts({ state: 'firing' });
    const at = now.toISOString();
    const out: AlertTransition[] = [];
    for (const [key, f] of firing) {
      if (open.some((a) => alertKey(a.rule, a.instanceId) === key)) continue;
      const i = byId.get(f.instanceId);
      if (i && (await observe.fireAlert(f.rule, f.instanceId, at, f.detail)))
        out.push({ rule: f.rule, alertname: ALERT_RULES[f.rule], state: 'firing', at, instanceId: i.id, instance: i.name, customer: i.customer, app: i.app, detail: f.detail });
    }
    for (const a of open) {
      if (firing.has(alertKey(a.rule, a.instanceId))) continue;
      const rule = a.rule as AlertRule;
      if (await observe.resolveAlert(a.rule, a.instanceId, at))
        out.push({ rule, alertname: ALERT_RULES[rule] ?? a.rule, state: 'resolved', at, instanceId: a.instanceId, instance: a.instance, customer: a.customer, app: a.app, detail: a.detail });
    }
    for (const t of out)
      for (const l of this.#listeners) {
        // A listener's failure (a webhook's) never undoes or repeats the recorded transition.
        try {
          l(t);
        } catch {
          /* the listener reports its own failures */
        }
      }
    return out;
  }
}
