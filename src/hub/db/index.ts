// Opens the hub's metadata database: PostgreSQL when a postgres:// URL is given, else the SQLite file in the data dir.
import { join } from 'node:path';
import { SkiffError } from '../../util/index.ts';
import { openPostgresMetadataDb } from './postgres.ts';
import { openSqliteMetadataDb } from './sqlite.ts';
import type { MetadataDb } from './types.ts';

export type * from './types.ts';
export type { DriverOptions } from './driver.ts';
export { ROLES } from './types.ts';
export { openPostgresMetadataDb } from './postgres.ts';
export { openSqliteMetadataDb } from './sqlite.ts';

export const SQLITE_FILE = 'hub.db';

/** Opens and migrates the metadata database. */
export async function openMetadataDb(opts: { dataDir: string; database?: string }): Promise<MetadataDb> {
  let db: MetadataDb;
  if (opts.database === undefined) db = openSqliteMetadataDb(join(opts.dataDir, SQLITE_FILE));
  else if (/^postgres(ql)?:\/\//.test(opts.database)) db = openPostgresMetadataDb(opts.database);
  else throw new SkiffError('USAGE', `--database "${opts.database}" is not a postgres:// URL; omit it to use SQLite in the data directory`);
  try {
    await db.migrate();
  } catch (e) {
    await db.close().catch(() => undefined);
    throw new SkiffError('INTERNAL', `cannot open the metadata database: ${(e as Error).message}`, { cause: e });
  }
  return db;
}
