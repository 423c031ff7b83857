// Apps, their roots, releases and channels, and customers with their entitlements, in the metadata store.
import { randomUUID } from 'node:crypto';
import { SkiffError } from '../../util/index.ts';
import { channelsOf, entitledReleases, listCustomerRecords, promoteRelease, readCustomer, writeEntitlements } from './sql-queries.ts';
import type { SqlExec } from './driver.ts';
import * as rows from './sql-rows.ts';
import type * as T from './types.ts';

const now = (): string => new Date().toISOString();

/** What these queries run on: reads anywhere, writes only in a mutation, inserts whose unique violation is a CONFLICT. */
export interface Ctx {
  sql(): SqlExec;
  write(): SqlExec;
  unique<R>(fn: (tx: SqlExec) => Promise<R>, what: string): Promise<R>;
}

export async function createApp(c: Ctx, name: string, root: { version: number; bytes: Uint8Array }): Promise<T.AppRecord> {
  const rec: T.AppRecord = { name, createdAt: now() };
  await c.unique(async (tx) => {
    await tx.run('INSERT INTO apps (name, created_at) VALUES (?, ?)', [name, rec.createdAt]);
    await tx.run('INSERT INTO app_roots (app, version, root, created_at) VALUES (?, ?, ?, ?)', [name, root.version, root.bytes, rec.createdAt]);
  }, `app "${name}"`);
  return rec;
}

export async function getApp(c: Ctx, name: string): Promise<T.AppRecord | undefined> {
  const [r] = await c.sql().all<{ name: string; created_at: string }>('SELECT * FROM apps WHERE name = ?', [name]);
  return r && { name: r.name, createdAt: r.created_at };
}

export async function listApps(c: Ctx): Promise<T.AppRecord[]> {
  const list = await c.sql().all<{ name: string; created_at: string }>('SELECT * FROM apps ORDER BY name');
  return list.map((r) => ({ name: r.name, createdAt: r.created_at }));
}

export async function listRoots(c: Ctx, app: string): Promise<T.RootRecord[]> {
  return (await c.sql().all<rows.RootRow>('SELECT * FROM app_roots WHERE app = ? ORDER BY version', [app])).map(rows.toRoot);
}

export async function addRoot(c: Ctx, app: string, version: number, bytes: Uint8Array): Promise<T.RootRecord> {
  const rec: T.RootRecord = { app, version, root: bytes, createdAt: now() };
  await c.unique(
    (tx) => tx.run('INSERT INTO app_roots (app, version, root, created_at) VALUES (?, ?, ?, ?)', [app, version, bytes, rec.createdAt]),
    `root version ${version} of app "${app}"`,
  );
  return rec;
}

export async function putRelease(c: Ctx, r: Omit<T.ReleaseRecord, 'createdAt' | 'visible'> & { visible?: boolean }): Promise<T.ReleaseRecord> {
  return c.write().transaction(async (tx) => {
    const [existing] = await tx.all<rows.ReleaseRow>('SELECT * FROM releases WHERE app = ? AND version = ?', [r.app, r.version]);
    if (existing) {
      if (existing.digest !== r.digest)
        throw new SkiffError('RELEASE_EXISTS', `release ${r.app}@${r.version} already exists with another digest; publish a new version`);
      return rows.toRelease(existing);
    }
    const rec: T.ReleaseRecord = { ...r, createdAt: now(), visible: r.visible ?? true };
    await tx.run(
      'INSERT INTO releases (app, version, digest, manifest, signature, created_at, visible) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [rec.app, rec.version, rec.digest, rec.manifest, rec.signature, rec.createdAt, rec.visible ? 1 : 0],
    );
    return rec;
  });
}

export async function setReleaseVisible(c: Ctx, app: string, version: string, visible: boolean): Promise<void> {
  const n = await c.write().run('UPDATE releases SET visible = ? WHERE app = ? AND version = ?', [visible ? 1 : 0, app, version]);
  if (n === 0) throw new SkiffError('NOT_FOUND', `release ${app}@${version} not found`);
}

export async function getRelease(c: Ctx, app: string, version: string): Promise<T.ReleaseRecord | undefined> {
  const [r] = await c.sql().all<rows.ReleaseRow>('SELECT * FROM releases WHERE app = ? AND version = ?', [app, version]);
  return r && rows.toRelease(r);
}

export async function listReleases(c: Ctx, app: string): Promise<T.ReleaseRecord[]> {
  return (await c.sql().all<rows.ReleaseRow>('SELECT * FROM releases WHERE app = ?', [app])).map(rows.toRelease).sort(rows.bySemver);
}

export async function listChannels(c: Ctx, app: string): Promise<T.ChannelRecord[]> {
  return channelsOf(c.sql(), app);
}

export async function getChannel(c: Ctx, app: string, name: string): Promise<T.ChannelRecord | undefined> {
  return (await channelsOf(c.sql(), app, name))[0];
}

export async function promote(c: Ctx, app: string, channel: string, version: string, required: boolean): Promise<void> {
  await c.write().transaction((tx) => promoteRelease(tx, { app, channel, version, required }, now()));
}

export async function demote(c: Ctx, app: string, channel: string, version: string): Promise<boolean> {
  return (await c.write().run('DELETE FROM channel_releases WHERE app = ? AND channel = ? AND version = ?', [app, channel, version])) === 1;
}

export async function setRequired(c: Ctx, app: string, channel: string, version: string, required: boolean): Promise<boolean> {
  const n = await c.write().run('UPDATE channel_releases SET required = ? WHERE app = ? AND channel = ? AND version = ?', [required ? 1 : 0, app, channel, version]);
  return n === 1;
}

export async function createCustomer(c: Ctx, customer: { name: string; airgapped: boolean; entitlements: readonly T.Entitlement[] }): Promise<T.CustomerRecord> {
  const id = randomUUID();
  await c.unique(async (tx) => {
    await tx.run('INSERT INTO customers (id, name, airgapped, created_at) VALUES (?, ?, ?, ?)', [id, customer.name, customer.airgapped ? 1 : 0, now()]);
    await writeEntitlements(tx, id, customer.entitlements);
  }, `customer "${customer.name}"`);
  const created = await readCustomer(c.sql(), id);
  if (!created) throw new SkiffError('INTERNAL', `customer "${customer.name}" vanished right after it was created`);
  return created;
}

export async function getCustomer(c: Ctx, id: string): Promise<T.CustomerRecord | undefined> {
  return readCustomer(c.sql(), id);
}

export async function getCustomerByName(c: Ctx, name: string): Promise<T.CustomerRecord | undefined> {
  return readCustomer(c.sql(), name, 'name');
}

export async function listCustomers(c: Ctx): Promise<T.CustomerRecord[]> {
  return listCustomerRecords(c.sql());
}

export async function setEntitlements(c: Ctx, customerId: string, entitlements: readonly T.Entitlement[]): Promise<void> {
  await c.write().transaction(async (tx) => {
    await tx.run('DELETE FROM entitlements WHERE customer_id = ?', [customerId]);
    await writeEntitlements(tx, customerId, entitlements);
  });
}

export async function releasesVisibleTo(c: Ctx, customerId: string, at: Date = new Date()): Promise<T.ReleaseRecord[]> {
  return entitledReleases(c.sql(), customerId, at);
}

export async function isEntitled(c: Ctx, customerId: string, app: string, version: string, at: Date = new Date()): Promise<boolean> {
  return (await entitledReleases(c.sql(), customerId, at, { app, version })).length > 0;
}
