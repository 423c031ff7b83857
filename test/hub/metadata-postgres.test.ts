// Runs the MetadataDb contract against PostgreSQL (started by the helper; fails when it cannot be).
import { openPostgresMetadataDb } from '../../src/hub/db/index.ts';
import { tempDatabase } from '../helpers/postgres.ts';
import { metadataContract } from './metadata-contract.ts';

metadataContract('postgres', async () => {
  const tmp = await tempDatabase();
  let queries = 0;
  const db = openPostgresMetadataDb(tmp.url, { onQuery: () => void queries++ });
  await db.migrate();
  return { db, queries: () => queries, cleanup: async () => { await db.close(); await tmp.drop(); } };
});
