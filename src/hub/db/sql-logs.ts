// The hub's log store in SQL: lines from the agents, deduplicated by (instance, stream, seq), searched by instance,
// service, level, time and text; kept per customer for its retention. PostgreSQL keeps the lines in daily range
// partitions created ahead of time, so retention drops whole partitions; SQLite deletes by time.
import type { SqlDriver, SqlExec } from './driver.ts';
import type { Migration } from './migrations.ts';

export const DEFAULT_LOG_RETENTION_DAYS = 14;
const DAY_MS = 86_400_000;
/** Days of partitions created ahead of today, so that ingest never waits on DDL at midnight. */
const PARTITIONS_AHEAD = 2;
const INSERT_ROWS = 100;

export const LOGS_MIGRATION: Migration = {
  version: 17,
  name: 'logs',
  statements: (d) => [
    d === 'postgres'
      ? `CREATE TABLE log_lines (at TIMESTAMPTZ NOT NULL, instance_id TEXT NOT NULL, customer_id TEXT NOT NULL, stream TEXT NOT NULL,
          seq BIGINT NOT NULL, service TEXT NOT NULL, source TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL) PARTITION BY RANGE (at)`
      : `CREATE TABLE log_lines (at TEXT NOT NULL, instance_id TEXT NOT NULL, customer_id TEXT NOT NULL, stream TEXT NOT NULL,
          seq INTEGER NOT NULL, service TEXT NOT NULL, source TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL)`,
    `CREATE INDEX log_lines_instance_at ON log_lines (instance_id, at)`,
    `CREATE INDEX log_lines_customer_at ON log_lines (customer_id, at)`,
    // The last sequence number stored per agent spool (a new spool, after its state was wiped, is a new stream).
    `CREATE TABLE log_cursors (instance_id TEXT NOT NULL, stream TEXT NOT NULL, last_seq BIGINT NOT NULL, PRIMARY KEY (instance_id, stream))`,
    `CREATE TABLE log_retention (customer_id TEXT PRIMARY KEY REFERENCES customers(id), days INTEGER NOT NULL)`,
  ],
};

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

export interface LogLine {
  readonly seq: number;
  /** ISO 8601 time the line was written (the engine's timestamp, or when the agent read a file line). */
  readonly at: string;
  readonly service: string;
  /** `stdout`, `stderr`, or `file:<volume>/<path>`. */
  readonly source: string;
  readonly level: LogLevel;
  readonly message: string;
}

export interface LogBatch {
  readonly instanceId: string;
  readonly customerId: string;
  readonly stream: string;
  readonly lines: readonly LogLine[];
}

export interface StoredLogLine extends LogLine {
  readonly instanceId: string;
  readonly stream: string;
}

export interface LogQuery {
  readonly customerId?: string;
  readonly instanceId?: string;
  readonly service?: string;
  readonly level?: LogLevel;
  readonly since?: string;
  readonly until?: string;
  /** Text the message contains (case-insensitive). */
  readonly text?: string;
  readonly limit: number;
}

export interface LogStore {
  /** Stores the lines not stored before (seq above the stream's last); returns those stored, in order. */
  ingest(batch: LogBatch, now?: Date): Promise<StoredLogLine[]>;
  /** The newest `limit` lines that match, oldest first. */
  search(q: LogQuery): Promise<StoredLogLine[]>;
  retentionDays(customerId: string): Promise<number>;
  setRetentionDays(customerId: string, days: number): Promise<void>;
  /** Forgets lines past their customer's retention (PostgreSQL: whole partitions past the longest retention are dropped). */
  applyRetention(now?: Date): Promise<void>;
}

type Row = { at: string | Date; instance_id: string; stream: string; seq: number | string; service: string; source: string; level: string; message: string };

export class SqlLogStore implements LogStore {
  readonly #sql: SqlDriver;
  readonly #partitions = new Set<string>();

  constructor(sql: SqlDriver) {
    this.#sql = sql;
  }

  async ingest(batch: LogBatch, now = new Date()): Promise<StoredLogLine[]> {
    const oldest = now.getTime() - (await this.retentionDays(batch.customerId)) * DAY_MS;
    // A clock ahead of the hub's is taken as now: a line never lands in a partition not yet made.
    const lines = batch.lines
      .map((l) => (Date.parse(l.at) > now.getTime() ? { ...l, at: now.toISOString() } : l))
      .filter((l) => Date.parse(l.at) >= oldest);
    if (this.#sql.dialect === 'postgres') await this.#ensurePartitions(lines.map((l) => l.at), now);
    return this.#sql.transaction(async (tx) => {
      const last = await lastSeq(tx, batch.instanceId, batch.stream);
      const fresh = lines.filter((l) => l.seq > last);
      const top = batch.lines.reduce((m, l) => Math.max(m, l.seq), last);
      if (top > last) await tx.run('UPDATE log_cursors SET last_seq = ? WHERE instance_id = ? AND stream = ?', [top, batch.instanceId, batch.stream]);
      for (let i = 0; i < fresh.length; i += INSERT_ROWS) {
        const part = fresh.slice(i, i + INSERT_ROWS);
        await tx.run(
          `INSERT INTO log_lines (at, instance_id, customer_id, stream, seq, service, source, level, message) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          part.flatMap((l) => [l.at, batch.instanceId, batch.customerId, batch.stream, l.seq, l.service, l.source, l.level, l.message]),
        );
      }
      return fresh.map((l) => ({ ...l, instanceId: batch.instanceId, stream: batch.stream }));
    });
  }

  async search(q: LogQuery): Promise<StoredLogLine[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      params.push(value);
    };
    if (q.customerId !== undefined) add('customer_id = ?', q.customerId);
    if (q.instanceId !== undefined) add('instance_id = ?', q.instanceId);
    if (q.service !== undefined) add('service = ?', q.service);
    if (q.level !== undefined) add('level = ?', q.level);
    if (q.since !== undefined) add('at >= ?', new Date(q.since).toISOString());
    if (q.until !== undefined) add('at < ?', new Date(q.until).toISOString());
    if (q.text !== undefined) add(`message ${this.#sql.dialect === 'postgres' ? 'ILIKE' : 'LIKE'} ? ESCAPE '\\'`, `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const rows = await this.#sql.all<Row>(
      `SELECT at, instance_id, stream, seq, service, source, level, message FROM log_lines ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, instance_id DESC, stream DESC, seq DESC LIMIT ?`,
      [...params, q.limit],
    );
    return rows.reverse().map((r) => ({
      at: r.at instanceof Date ? r.at.toISOString() : r.at, instanceId: r.instance_id, stream: r.stream, seq: Number(r.seq),
      service: r.service, source: r.source, level: r.level as LogLevel, message: r.message,
    }));
  }

  async retentionDays(customerId: string): Promise<number> {
    const [row] = await this.#sql.all<{ days: number }>('SELECT days FROM log_retention WHERE customer_id = ?', [customerId]);
    return row ? Number(row.days) : DEFAULT_LOG_RETENTION_DAYS;
  }

  async setRetentionDays(customerId: string, days: number): Promise<void> {
    await this.#sql.transaction(async (tx) => {
      await tx.run('DELETE FROM log_retention WHERE customer_id = ?', [customerId]);
      await tx.run('INSERT INTO log_retention (customer_id, days) VALUES (?, ?)', [customerId, days]);
    });
  }

  async applyRetention(now = new Date()): Promise<void> {
    const custom = await this.#sql.all<{ customer_id: string; days: number }>('SELECT customer_id, days FROM log_retention');
    const cutoff = (days: number): string => new Date(now.getTime() - Number(days) * DAY_MS).toISOString();
    if (this.#sql.dialect === 'postgres') await this.#dropPartitions(Math.max(DEFAULT_LOG_RETENTION_DAYS, ...custom.map((c) => Number(c.days))), now);
    for (const c of custom) await this.#sql.run('DELETE FROM log_lines WHERE customer_id = ? AND at < ?', [c.customer_id, cutoff(c.days)]);
    const others = custom.map(() => '?').join(', ');
    await this.#sql.run(
      `DELETE FROM log_lines WHERE at < ?${custom.length ? ` AND customer_id NOT IN (${others})` : ''}`,
      [cutoff(DEFAULT_LOG_RETENTION_DAYS), ...custom.map((c) => c.customer_id)],
    );
  }

  /** The daily partitions for the given times and the next days; a replica racing to make the same one is fine. */
  async #ensurePartitions(times: readonly string[], now: Date): Promise<void> {
    const days = new Set(times.map((t) => dayOf(new Date(t))));
    for (let i = 0; i <= PARTITIONS_AHEAD; i += 1) days.add(dayOf(new Date(now.getTime() + i * DAY_MS)));
    for (const day of days) {
      if (this.#partitions.has(day)) continue;
      const next = dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS));
      try {
        await this.#sql.run(
          `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF log_lines FOR VALUES FROM ('${day}T00:00:00Z') TO ('${next}T00:00:00Z')`,
        );
      } catch (e) {
        if (!this.#sql.isUniqueViolation(e) && !/already exists/.test((e as Error).message)) throw e;
      }
      this.#partitions.add(day);
    }
  }

  /** Drops the partitions that end before the longest retention of any customer. */
  async #dropPartitions(maxDays: number, now: Date): Promise<void> {
    const rows = await this.#sql.all<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'log_lines'`,
    );
    const keepFrom = dayOf(new Date(now.getTime() - maxDays * DAY_MS));
    for (const { name } of rows) {
      const day = /^log_lines_(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!day || `${day[1]}-${day[2]}-${day[3]}` >= keepFrom) continue;
      await this.#sql.run(`DROP TABLE IF EXISTS ${name}`);
      this.#partitions.delete(`${day[1]}-${day[2]}-${day[3]}`);
    }
  }
}

async function lastSeq(tx: SqlExec, instanceId: string, stream: string): Promise<number> {
  await tx.run(`INSERT INTO log_cursors (instance_id, stream, last_seq) VALUES (?, ?, 0) ON CONFLICT DO NOTHING`, [instanceId, stream]);
  const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
  const [row] = await tx.all<{ last_seq: number | string }>(`SELECT last_seq FROM log_cursors WHERE instance_id = ? AND stream = ?${lock}`, [instanceId, stream]);
  return Number(row?.last_seq ?? 0);
}

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function partitionName(day: string): string {
  return `log_lines_${day.replace(/-/g, '')}`;
}
