// PostgreSQL for tests: starts Debian's cluster when it is down (failing, never skipping, when it cannot) and hands out throwaway databases.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/start-postgres.sh', import.meta.url));

let started: Promise<string> | undefined;

/** Starts PostgreSQL 15 if needed and returns a URL for the shared test database; throws when it cannot. */
export function ensurePostgres(): Promise<string> {
  started ??= (async () => {
    try {
      const { stdout } = await run('bash', [SCRIPT], { timeout: 120_000 });
      const url = stdout.trim().split('\n').pop();
      if (!url?.startsWith('postgres://')) throw new Error(`start-postgres.sh printed no URL: ${stdout}`);
      return url;
    } catch (e) {
      throw new Error(`PostgreSQL is required for this test and could not be started: ${(e as Error).message}`, { cause: e });
    }
  })();
  return started;
}

export interface TempDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh, uniquely named database owned by the test role; drop() removes it. */
export async function tempDatabase(): Promise<TempDatabase> {
  const base = await ensurePostgres();
  const name = `skiff_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
