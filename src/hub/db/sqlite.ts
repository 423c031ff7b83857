// SQLite metadata backend (the embedded default): one file in WAL mode through better-sqlite3, behind the SQL seam.
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { openTransaction, type DriverOptions, type SqlDriver, type SqlExec } from './driver.ts';
import { SqlMetadataDb } from './sql-store.ts';
import type { MetadataDb } from './types.ts';

/** Owner-only: the file holds password hashes and token hashes. */
const FILE_MODE = 0o600;

/** Creates the database file owner-only before SQLite opens it (SQLite gives its -wal and -shm files the same mode), and tightens an older file. */
function ownerOnly(file: string): void {
  closeSync(openSync(file, 'a', FILE_MODE));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, FILE_MODE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

function bind(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p === undefined ? null : p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p) : p));
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Statement>();
  #queue: Promise<unknown> = Promise.resolve();
  readonly #onQuery: DriverOptions['onQuery'];
  readonly #direct = {
    all: async <T>(sql: string, params: readonly unknown[]) => this.#prepare(sql).all(...bind(params)) as T[],
    run: async (sql: string, params: readonly unknown[]) => this.#prepare(sql).run(...bind(params)).changes,
  };

  constructor(file: string, opts: DriverOptions) {
    this.#onQuery = opts.onQuery;
    if (file !== ':memory:') ownerOnly(file);
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('synchronous = NORMAL');
  }

  #prepare(sql: string): Statement {
    this.#onQuery?.(sql);
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** One connection, so work is queued: a transaction's awaits must not interleave with other callers. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(fn, fn);
    this.#queue = p.catch(() => undefined);
    return p;
  }

  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.#exclusive(() => this.#direct.all<T>(sql, params));
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.#exclusive(() => this.#direct.run(sql, params));
  }

  /** The whole transaction holds the one connection, so no lock is needed: SQLite writers are already serialized. */
  transaction<T>(fn: (tx: SqlExec) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      const tx = openTransaction('sqlite', this.#direct, async () => undefined);
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(tx.exec);
        this.#db.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw e;
      } finally {
        tx.end();
      }
    });
  }

  isUniqueViolation(e: unknown): boolean {
    const code = (e as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
  }

  async close(): Promise<void> {
    await this.#exclusive(async () => this.#db.close());
  }
}

/** Opens (creating if needed, owner-only) the SQLite metadata file; call migrate() before use. */
export function openSqliteMetadataDb(file: string, opts: DriverOptions = {}): MetadataDb {
  return new SqlMetadataDb(new SqliteDriver(file, opts));
}
