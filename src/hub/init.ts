// `skiff hub init`: creates the data directory and database, the first admin with a one-time password, and an admin API token.
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError } from '../util/index.ts';
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

/** Owner-only: the data dir holds the database (password and token hashes) and the vendor's blobs. */
const DIR_MODE = 0o700;

/**
 * Makes the data dir and its blob store owner-only: creates them (with `create`, as init does) and tightens dirs an
 * older hub made world-readable (as serve does at each start). A missing dir is left missing without `create`.
 */
export async function secureDataDir(dataDir: string, opts: { create: boolean }): Promise<void> {
  for (const dir of [dataDir, join(dataDir, STORE_DIR)]) {
    if (opts.create) await mkdir(dir, { recursive: true, mode: DIR_MODE });
    await chmod(dir, DIR_MODE).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

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
  await secureDataDir(opts.dataDir, { create: true });
  const db = await openMetadataDb(opts);
  try {
    await loadHubKey(opts.dataDir);
    return await createFirstAdmin(db, opts.admin);
  } finally {
    await db.close();
  }
}
