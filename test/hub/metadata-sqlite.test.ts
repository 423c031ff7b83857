// Runs the MetadataDb contract against the embedded SQLite backend.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteMetadataDb } from '../../src/hub/db/index.ts';
import { metadataContract } from './metadata-contract.ts';

metadataContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-hub-sqlite-'));
  let queries = 0;
  const db = openSqliteMetadataDb(join(dir, 'hub.db'), { onQuery: () => void queries++ });
  await db.migrate();
  return { db, queries: () => queries, cleanup: async () => { await db.close(); await rm(dir, { recursive: true, force: true }); } };
});
