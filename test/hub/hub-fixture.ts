// A hub on a fresh SQLite database for route tests: an admin token, helpers to add users, apps, releases and customers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { build } from '../../src/hub/app.ts';
import { LoginLimiter } from '../../src/hub/auth/login-limiter.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import type { MetadataDb, Role } from '../../src/hub/db/types.ts';
import { createFirstAdmin } from '../../src/hub/init.ts';
import { initTrust, serializeRoot } from '../../src/trust/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';

export interface Hub {
  readonly app: FastifyInstance;
  readonly db: MetadataDb;
  readonly dir: string;
  readonly admin: { username: string; password: string; token: string };
  call(method: InjectOptions['method'], url: string, token?: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startHub(opts: { loginLimiter?: LoginLimiter } = {}): Promise<Hub> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-hub-'));
  const db = await openMetadataDb({ dataDir: dir });
  const admin = await createFirstAdmin(db);
  const app = await build({ db, blobs: new FsBlobStore(join(dir, 'store')), loginLimiter: opts.loginLimiter });
  return {
    app,
    db,
    dir,
    admin,
    async call(method, url, token, body) {
      const res = await app.inject({
        method,
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      });
      return { status: res.statusCode, json: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
    },
    async close() {
      await app.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh vendor trust dir; returns root.json version 1 as text. */
export async function makeRoot(): Promise<{ dir: string; root: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-trust-'));
  const trust = await initTrust(join(dir, 'trust'));
  return { dir, root: serializeRoot(trust.root) };
}

export async function userToken(hub: Hub, username: string, role: Role): Promise<string> {
  const password = 'correct horse battery staple';
  const made = await hub.call('POST', '/api/v1/users', hub.admin.token, { username, password, role });
  if (made.status !== 201) throw new Error(`user create failed: ${JSON.stringify(made.json)}`);
  const login = await hub.call('POST', '/api/v1/login', undefined, { username, password });
  return String(login.json.token);
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export function digestOf(c: string): string {
  return `sha256:${c.repeat(64)}`;
}

export { seed } from '../helpers/hub-release.ts';

/** Use `new LoginLimiter()` per test so throttling does not leak between tests. */
export { LoginLimiter };

/** Runs a CLI command factory with args; returns what it printed (and resets the exit code a failure sets). */
export async function runCommand(make: (out: { write(s: string): boolean }) => Command, args: string[]): Promise<{ out: string; code: number }> {
  let out = '';
  const cmd = make({ write: (s: string) => ((out += s), true) });
  cmd.exitOverride();
  process.exitCode = 0;
  await cmd.parseAsync(args, { from: 'user' });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, code };
}
