// The hub's generation: one counter that every committed change to what a caller may see or be answered moves on, so
// that each replica's caches (principals, desired-state ETags) hold exactly while it is unchanged.
import type { SqlExec } from './driver.ts';

export const GENERATION_MIGRATION = {
  version: 12,
  name: 'generation',
  statements: (): string[] => ['CREATE TABLE hub_generation (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)', 'INSERT INTO hub_generation (id, n) VALUES (1, 0)'],
};

export async function readGeneration(sql: SqlExec): Promise<number> {
  const [r] = await sql.all<{ n: number | string }>('SELECT n FROM hub_generation WHERE id = 1');
  return Number(r?.n ?? 0);
}

/** Inside the writer's transaction, so the new value becomes visible exactly when its change does. */
export async function bumpGeneration(tx: SqlExec): Promise<void> {
  await tx.run('UPDATE hub_generation SET n = n + 1 WHERE id = 1');
}

/** Bumps only when the instance's current version changes: a heartbeat that repeats what it runs keeps every cache. */
export async function bumpGenerationIfVersionChanges(tx: SqlExec, instanceId: string, currentVersion: string | null): Promise<void> {
  await tx.run('UPDATE hub_generation SET n = n + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM instances WHERE id = ? AND current_version IS DISTINCT FROM CAST(? AS TEXT))', [instanceId, currentVersion]);
}
