// The small SQL seam under the metadata store: SQLite and PostgreSQL each implement it, the queries are written once.
export type Dialect = 'sqlite' | 'postgres';

/** Runs SQL written with `?` placeholders. */
export interface SqlExec {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface SqlDriver extends SqlExec {
  /** Runs fn in one transaction that also holds the writer lock named by `lock` (serializes e.g. the audit chain across replicas). */
  transaction<T>(fn: (tx: SqlExec) => Promise<T>, lock?: number): Promise<T>;
  isUniqueViolation(e: unknown): boolean;
  close(): Promise<void>;
}

/** Advisory lock keys; each names one serialized writer. */
export const LOCKS = { migrate: 7301, audit: 7302 } as const;
