// `skiff hub init`: creates the data directory and database, the first admin with a one-time password, and an admin API token.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError } from '../util/errors.ts';
import { SCOPES } from './auth/permissions.ts';
import { loadHubKey } from './auth/sealing.ts';
import { hashPassword, mintToken, randomPassword } from './auth/secrets.ts';
import { openMetadataDb } from './db/index.ts';
import type { MetadataDb } from './db/types.ts';

export interface InitResult {
  readonly username: string;
  /** Shown once. */
  readonly password: string;
  /** An admin API token with every scope, shown once. */
  readonly token: string;
}

export const STORE_DIR = 'store';

/** Adds the first admin to an empty database; CONFLICT when users exist already. */
export async function createFirstAdmin(db: MetadataDb, username = 'admin'): Promise<InitResult> {
  const already = new SkiffError('CONFLICT', 'this hub is already initialized; log in with an existing admin');
  if ((await db.countUsers()) > 0) throw already;
  const password = randomPassword();
  const passwordHash = await hashPassword(password);
  const { token, hash } = mintToken('skh_');
  await db.mutate(async (tx) => {
    if ((await tx.countUsers()) > 0) throw already;
    const user = await tx.createUser({ username, passwordHash, role: 'admin' });
    await tx.createToken({ kind: 'api', hash, name: 'hub init', userId: user.id, customerId: null, scopes: [...SCOPES], expiresAt: null });
  }, { actor: 'system', action: 'hub.init', target: `user:${username}`, address: 'local' });
  return { username, password, token };
}

export async function initHub(opts: { dataDir: string; database?: string; admin?: string }): Promise<InitResult> {
  await mkdir(join(opts.dataDir, STORE_DIR), { recursive: true });
  const db = await openMetadataDb(opts);
  try {
    await loadHubKey(opts.dataDir);
    return await createFirstAdmin(db, opts.admin);
  } finally {
    await db.close();
  }
}
