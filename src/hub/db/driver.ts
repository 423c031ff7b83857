// The small SQL seam under the metadata store: SQLite and PostgreSQL each implement it, the queries are written once.
import { SkiffError } from '../../util/index.ts';

export type Dialect = 'sqlite' | 'postgres';

/** Runs SQL written with `?` placeholders. */
export interface SqlExec {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs fn atomically, holding the writer lock named by `lock` (serializes e.g. the audit chain across replicas) until
   * the outermost transaction ends. On a driver it opens a transaction; inside one it is a savepoint on the same
   * connection, so nested calls never wait for a second connection (SQLite has one) and roll back only their own part.
   */
  transaction<T>(fn: (tx: SqlExec) => Promise<T>, lock?: number): Promise<T>;
}

export interface SqlDriver extends SqlExec {
  isUniqueViolation(e: unknown): boolean;
  close(): Promise<void>;
}

export interface DriverOptions {
  /** Called with every statement before it runs (statement logs; tests count queries with it). */
  readonly onQuery?: (sql: string) => void;
}

/** Advisory lock keys; each names one serialized writer. */
export const LOCKS = { migrate: 7301, audit: 7302, login: 7303 } as const;

/**
 * The SqlExec of an open transaction: `query` runs on its connection, `lock` takes an advisory lock (PostgreSQL) or
 * nothing (SQLite's one writer is already exclusive). Nested transactions become savepoints; they run one after another
 * (savepoints are a stack). After end() every use throws, so work that outlives its transaction cannot slip past it.
 */
export function openTransaction(
  dialect: Dialect,
  query: { all<T>(sql: string, params: readonly unknown[]): Promise<T[]>; run(sql: string, params: readonly unknown[]): Promise<number> },
  lock: (key: number) => Promise<void>,
): { exec: SqlExec; end(): void } {
  let ended = false;
  let savepoints = 0;
  const live = (): void => {
    if (ended) throw new SkiffError('INTERNAL', 'a database transaction was used after it ended; await every query inside it');
  };
  const exec: SqlExec = {
    dialect,
    all: async (sql, params = []) => (live(), query.all(sql, params)),
    run: async (sql, params = []) => (live(), query.run(sql, params)),
    async transaction(fn, key) {
      live();
      if (key !== undefined) await lock(key);
      const savepoint = `sp_${++savepoints}`;
      await query.run(`SAVEPOINT ${savepoint}`, []);
      try {
        const result = await fn(exec);
        await query.run(`RELEASE SAVEPOINT ${savepoint}`, []);
        return result;
      } catch (e) {
        await query.run(`ROLLBACK TO SAVEPOINT ${savepoint}`, []);
        await query.run(`RELEASE SAVEPOINT ${savepoint}`, []);
        throw e;
      }
    },
  };
  return { exec, end: () => void (ended = true) };
}
