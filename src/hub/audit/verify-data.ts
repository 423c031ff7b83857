// `skiff hub audit verify`: opens a hub's metadata database and walks its audit chain.
import { openMetadataDb } from '../db/index.ts';
import { verifyAuditChain, type AuditVerdict } from './chain.ts';

export async function verifyHubAudit(opts: { dataDir: string; database?: string }): Promise<AuditVerdict> {
  const db = await openMetadataDb(opts);
  try {
    return verifyAuditChain(await db.listAudit());
  } finally {
    await db.close();
  }
}
