// PostgreSQL metadata backend (several hub replicas): a pg Pool behind the SQL seam; `?` placeholders become $n.
import pg from 'pg';
import { openTransaction, type DriverOptions, type SqlDriver, type SqlExec } from './driver.ts';
import { SqlMetadataDb } from './sql-store.ts';
import type { MetadataDb } from './types.ts';

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function bind(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p === undefined ? null : p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p) : p));
}

function queryOn(client: pg.Pool | pg.PoolClient, opts: DriverOptions) {
  const query = (sql: string, params: readonly unknown[]) => {
    opts.onQuery?.(sql);
    return client.query(numbered(sql), bind(params));
  };
  return {
    all: async <T>(sql: string, params: readonly unknown[]) => (await query(sql, params)).rows as T[],
    run: async (sql: string, params: readonly unknown[]) => (await query(sql, params)).rowCount ?? 0,
  };
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #query: ReturnType<typeof queryOn>;
  readonly #opts: DriverOptions;

  constructor(url: string, opts: DriverOptions) {
    this.#opts = opts;
    this.#pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle client losing its connection must not crash the hub; the next query reconnects.
    this.#pool.on('error', () => undefined);
    this.#query = queryOn(this.#pool, opts);
  }

  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.#query.all<T>(sql, params);
  }

  run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.#query.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExec) => Promise<T>, lock?: number): Promise<T> {
    const client = await this.#pool.connect();
    const takeLock = async (key: number): Promise<void> => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [key]);
    };
    const tx = openTransaction('postgres', queryOn(client, this.#opts), takeLock);
    let broken = false;
    try {
      await client.query('BEGIN');
      if (lock !== undefined) await takeLock(lock);
      const result = await fn(tx.exec);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    } finally {
      tx.end();
      // A connection that cannot even roll back is closed, not handed to the next caller mid-transaction.
      client.release(broken);
    }
  }

  isUniqueViolation(e: unknown): boolean {
    return (e as { code?: unknown } | null)?.code === '23505';
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Connects to PostgreSQL (postgres://…); call migrate() before use. */
export function openPostgresMetadataDb(url: string, opts: DriverOptions = {}): MetadataDb {
  return new SqlMetadataDb(new PostgresDriver(url, opts));
}
