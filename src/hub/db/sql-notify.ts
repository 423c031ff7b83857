// Notifications and customer policies in portable SQL: webhook endpoints, each customer's notification opt-in and
// contacts, the outbox of deliveries (stored before any attempt, claimed by lease so replicas never send one twice at
// once), the attempt log, the silences already told, and upgrade approvals.
import { randomUUID } from 'node:crypto';
import type { SqlExec } from './driver.ts';
import { approveInstance, instanceApprovals } from './sql-tags.ts';
import type * as T from './types.ts';

export const NOTIFY_MIGRATION = {
  version: 16,
  name: 'notifications and approvals',
  statements: (): string[] => [
    `CREATE TABLE webhooks (id TEXT PRIMARY KEY, url TEXT NOT NULL, secret_sealed TEXT NOT NULL, events TEXT NOT NULL,
      customer_id TEXT REFERENCES customers(id), created_at TEXT NOT NULL)`,
    `CREATE TABLE customer_notify (customer_id TEXT PRIMARY KEY REFERENCES customers(id), webhooks INTEGER NOT NULL,
      email INTEGER NOT NULL, contacts TEXT NOT NULL)`,
    `CREATE TABLE outbox (id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL,
      created_at TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, next_at TEXT NOT NULL, lease_until TEXT,
      done_at TEXT)`,
    'CREATE INDEX outbox_due ON outbox (state, next_at)',
    'CREATE INDEX outbox_target ON outbox (target, created_at)',
    `CREATE TABLE outbox_attempts (id TEXT PRIMARY KEY, outbox_id TEXT NOT NULL REFERENCES outbox(id), at TEXT NOT NULL,
      status INTEGER, duration_ms INTEGER NOT NULL, error TEXT)`,
    'CREATE INDEX outbox_attempts_outbox ON outbox_attempts (outbox_id, at)',
    'CREATE TABLE instance_silences (instance_id TEXT PRIMARY KEY REFERENCES instances(id), last_seen_at TEXT)',
    'ALTER TABLE entitlements ADD COLUMN approval_required INTEGER NOT NULL DEFAULT 0',
    `CREATE TABLE upgrade_approvals (customer_id TEXT NOT NULL REFERENCES customers(id), app TEXT NOT NULL, version TEXT NOT NULL,
      approved_by TEXT NOT NULL, approved_at TEXT NOT NULL, PRIMARY KEY (customer_id, app, version))`,
  ],
};

/** Attempts in the order they were made: two within one millisecond have the same `at` (and random ids). */
export const NOTIFY_ATTEMPT_NUMBERS_MIGRATION = {
  version: 25,
  name: 'outbox-attempt-numbers',
  statements: (): string[] => ['ALTER TABLE outbox_attempts ADD COLUMN n INTEGER NOT NULL DEFAULT 0'],
};

interface WebhookRow { id: string; url: string; secret_sealed: string; events: string; customer_id: string | null; created_at: string }
const toWebhook = (r: WebhookRow): T.WebhookRecord => ({
  id: r.id, url: r.url, secretSealed: r.secret_sealed, events: JSON.parse(r.events) as string[], customerId: r.customer_id, createdAt: r.created_at,
});

interface OutboxRow { id: string; kind: string; target: string; event: string; payload: string; created_at: string; state: string; attempts: number | string; next_at: string; done_at: string | null }
const toOutbox = (r: OutboxRow): T.OutboxRecord => ({
  id: r.id, kind: r.kind === 'email' ? 'email' : 'webhook', target: r.target, event: r.event, payload: r.payload, createdAt: r.created_at,
  state: r.state as T.OutboxRecord['state'], attempts: Number(r.attempts), nextAt: r.next_at, doneAt: r.done_at,
});

const now = (): string => new Date().toISOString();

async function enqueueOn(sql: SqlExec, items: readonly T.OutboxItem[]): Promise<string[]> {
  const at = now();
  const ids: string[] = [];
  for (const i of items) {
    const id = randomUUID();
    await sql.run('INSERT INTO outbox (id, kind, target, event, payload, created_at, state, attempts, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)',
      [id, i.kind, i.target, i.event, i.payload, at, 'pending', at]);
    ids.push(id);
  }
  return ids;
}

/** The notification tables behind `MetadataDb.notify`; `read` joins the caller's transaction, `write` only exists inside mutate. */
export class SqlNotifyStore implements T.NotifyStore {
  readonly #read: () => SqlExec;
  readonly #write: () => SqlExec;

  constructor(read: () => SqlExec, write: () => SqlExec) {
    this.#read = read;
    this.#write = write;
  }

  async addWebhook(w: Omit<T.WebhookRecord, 'createdAt'>): Promise<T.WebhookRecord> {
    const rec: T.WebhookRecord = { ...w, createdAt: now() };
    await this.#write().run('INSERT INTO webhooks (id, url, secret_sealed, events, customer_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [rec.id, rec.url, rec.secretSealed, JSON.stringify(rec.events), rec.customerId, rec.createdAt]);
    return rec;
  }

  async removeWebhook(id: string): Promise<boolean> {
    return (await this.#write().run('DELETE FROM webhooks WHERE id = ?', [id])) === 1;
  }

  async listWebhooks(): Promise<T.WebhookRecord[]> {
    return (await this.#read().all<WebhookRow>('SELECT * FROM webhooks ORDER BY created_at, id')).map(toWebhook);
  }

  async getWebhook(id: string): Promise<T.WebhookRecord | undefined> {
    const [r] = await this.#read().all<WebhookRow>('SELECT * FROM webhooks WHERE id = ?', [id]);
    return r && toWebhook(r);
  }

  async getCustomerNotify(customerId: string): Promise<T.CustomerNotify> {
    const [r] = await this.#read().all<{ webhooks: number; email: number; contacts: string }>('SELECT webhooks, email, contacts FROM customer_notify WHERE customer_id = ?', [customerId]);
    return { webhooks: Number(r?.webhooks ?? 0) === 1, email: Number(r?.email ?? 0) === 1, contacts: r ? (JSON.parse(r.contacts) as string[]) : [] };
  }

  async setCustomerNotify(customerId: string, n: T.CustomerNotify): Promise<void> {
    const sql = this.#write();
    await sql.run('DELETE FROM customer_notify WHERE customer_id = ?', [customerId]);
    await sql.run('INSERT INTO customer_notify (customer_id, webhooks, email, contacts) VALUES (?, ?, ?, ?)', [customerId, n.webhooks ? 1 : 0, n.email ? 1 : 0, JSON.stringify(n.contacts)]);
  }

  /** Joins the caller's transaction when there is one: an event is stored exactly when the change it tells of commits. */
  enqueue(items: readonly T.OutboxItem[]): Promise<string[]> {
    return enqueueOn(this.#read(), items);
  }

  /** Takes up to `limit` due deliveries for `leaseMs`: another replica (or this one) takes them again only after it. */
  async claimDue(limit: number, leaseMs: number, at: Date = new Date()): Promise<T.OutboxRecord[]> {
    const sql = this.#read();
    const iso = at.toISOString();
    const due = await sql.all<OutboxRow>(`SELECT * FROM outbox WHERE state = 'pending' AND next_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_at, id LIMIT ?`, [iso, iso, limit]);
    const leaseUntil = new Date(at.getTime() + leaseMs).toISOString();
    const taken: T.OutboxRecord[] = [];
    for (const r of due) {
      const n = await sql.run(`UPDATE outbox SET lease_until = ? WHERE id = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until <= ?)`, [leaseUntil, r.id, iso]);
      if (n === 1) taken.push(toOutbox(r));
    }
    return taken;
  }

  /** Records one attempt and what follows: delivered, another try at `retryAt`, or given up (`retryAt` null after a failure). */
  async recordAttempt(id: string, a: { status: number | null; durationMs: number; error: string | null; delivered: boolean; retryAt: string | null }): Promise<void> {
    const at = now();
    await this.#read().transaction(async (tx) => {
      await tx.run('INSERT INTO outbox_attempts (id, outbox_id, at, status, duration_ms, error, n) SELECT ?, ?, ?, ?, ?, ?, attempts + 1 FROM outbox WHERE id = ?',
        [randomUUID(), id, at, a.status, Math.round(a.durationMs), a.error, id]);
      const state = a.delivered ? 'delivered' : a.retryAt === null ? 'failed' : 'pending';
      await tx.run('UPDATE outbox SET state = ?, attempts = attempts + 1, next_at = ?, lease_until = NULL, done_at = ? WHERE id = ?',
        [state, a.retryAt ?? at, state === 'pending' ? null : at, id]);
    });
  }

  /** Puts a delivery back in line now (a redelivery by hand); false when there is none. */
  async redeliver(id: string): Promise<boolean> {
    return (await this.#write().run(`UPDATE outbox SET state = 'pending', next_at = ?, lease_until = NULL, done_at = NULL WHERE id = ?`, [now(), id])) === 1;
  }

  async getDelivery(id: string): Promise<T.OutboxRecord | undefined> {
    const [r] = await this.#read().all<OutboxRow>('SELECT * FROM outbox WHERE id = ?', [id]);
    return r && toOutbox(r);
  }

  async listDeliveries(target: string, limit = 100): Promise<T.DeliveryLog[]> {
    const list = (await this.#read().all<OutboxRow>('SELECT * FROM outbox WHERE target = ? ORDER BY created_at DESC, id LIMIT ?', [target, limit])).map(toOutbox);
    const out: T.DeliveryLog[] = [];
    for (const d of list) {
      const attempts = await this.#read().all<{ at: string; status: number | null; duration_ms: number | string; error: string | null }>(
        'SELECT at, status, duration_ms, error FROM outbox_attempts WHERE outbox_id = ? ORDER BY n, at, id', [d.id]);
      out.push({ ...d, log: attempts.map((x) => ({ at: x.at, status: x.status === null ? null : Number(x.status), durationMs: Number(x.duration_ms), error: x.error })) });
    }
    return out;
  }

  /**
   * Instances silent since before `before` whose current silence was not told yet: marks each told and enqueues what
   * `tell` makes of it in one transaction, so a silence is told once (replicas racing included) and never lost.
   */
  async tellNewSilences(before: string, tell: (s: T.SilentInstance) => T.OutboxItem[]): Promise<number> {
    return this.#read().transaction(async (sql) => {
      const silent = await sql.all<{ id: string; customer_id: string; app: string; name: string; last_seen_at: string; told: string | null }>(
        `SELECT i.id, i.customer_id, i.app, i.name, i.last_seen_at, s.last_seen_at AS told FROM instances i LEFT JOIN instance_silences s ON s.instance_id = i.id
         WHERE i.revoked_at IS NULL AND i.last_seen_at IS NOT NULL AND i.last_seen_at < ? AND (s.instance_id IS NULL OR s.last_seen_at <> i.last_seen_at)`, [before]);
      let told = 0;
      for (const r of silent) {
        const n = r.told === null
          ? await sql.run('INSERT INTO instance_silences (instance_id, last_seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING', [r.id, r.last_seen_at])
          : await sql.run('UPDATE instance_silences SET last_seen_at = ? WHERE instance_id = ? AND last_seen_at = ?', [r.last_seen_at, r.id, r.told]);
        if (n !== 1) continue;
        await enqueueOn(sql, tell({ id: r.id, customerId: r.customer_id, app: r.app, name: r.name, lastSeenAt: r.last_seen_at }));
        told++;
      }
      return told;
    });
  }

  async getApproval(customerId: string, app: string): Promise<T.ApprovalPolicy> {
    const [e] = await this.#read().all<{ approval_required: number | string }>('SELECT approval_required FROM entitlements WHERE customer_id = ? AND app = ?', [customerId, app]);
    const approved = await this.#read().all<{ version: string }>('SELECT version FROM upgrade_approvals WHERE customer_id = ? AND app = ?', [customerId, app]);
    return { required: Number(e?.approval_required ?? 0) === 1, approved: approved.map((r) => r.version) };
  }

  async setApprovalRequired(customerId: string, app: string, required: boolean): Promise<boolean> {
    return (await this.#write().run('UPDATE entitlements SET approval_required = ? WHERE customer_id = ? AND app = ?', [required ? 1 : 0, customerId, app])) === 1;
  }

  instanceApprovals(instanceId: string): Promise<T.InstanceApproval[]> {
    return instanceApprovals(this.#read(), instanceId);
  }

  async approveInstance(instanceId: string, version: string, by: string): Promise<void> {
    await approveInstance(this.#write(), instanceId, version, by, now());
  }

  async approve(customerId: string, app: string, version: string, by: string): Promise<void> {
    const sql = this.#write();
    await sql.run('DELETE FROM upgrade_approvals WHERE customer_id = ? AND app = ? AND version = ?', [customerId, app, version]);
    await sql.run('INSERT INTO upgrade_approvals (customer_id, app, version, approved_by, approved_at) VALUES (?, ?, ?, ?, ?)', [customerId, app, version, by, now()]);
  }
}
