// A hub for fleet figures: a real `skiff hub serve` process on SQLite or a fresh PostgreSQL database, with an app (a
// real trust dir and its timestamp key), one release promoted to `stable`, a customer entitled to it and an enrollment
// token with enough uses for the simulated fleet.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { openMetadataDb, type MetadataDb } from '../../src/hub/db/index.ts';
import { initTrust, serializeRoot } from '../../src/trust/index.ts';
import { putPlaceholderRelease } from '../../test/helpers/checkin.ts';
import { hubInit, startHubProcess, type HubDataOptions, type HubProcess } from '../../test/helpers/hub-process.ts';
import { tempDatabase } from '../../test/helpers/postgres.ts';

export type Backend = 'sqlite' | 'postgres';

export interface FleetHub {
  readonly hub: HubProcess;
  readonly backend: Backend;
  readonly app: string;
  readonly customer: string;
  readonly adminToken: string;
  /** Where its data lives (another replica may share it). */
  readonly data: HubDataOptions;
  /** Calls the hub's REST API as the admin; throws on an unexpected status. */
  api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown, status?: number): Promise<T>;
  /** The hub's metadata database, opened anew (close it after use). */
  openDb(): Promise<MetadataDb>;
  /** A new enrollment token for the customer (`uses` at most 10,000 per token). */
  enrollToken(uses: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startFleetHub(opts: { backend: Backend; app?: string; version?: string; env?: Readonly<Record<string, string>> }): Promise<FleetHub> {
  const app = opts.app ?? 'fleetbench';
  const version = opts.version ?? '1.0.0';
  const dir = await mkdtemp(join(tmpdir(), 'skiff-fleet-bench-'));
  const pg = opts.backend === 'postgres' ? await tempDatabase() : undefined;
  const data = { data: join(dir, 'hub'), ...(pg ? { database: pg.url } : {}) };
  const stops: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true }), ...(pg ? [() => pg.drop()] : [])];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const { token: adminToken } = await hubInit(data);
    const trust = await initTrust(join(dir, 'trust'));
    const openDb = () => openMetadataDb({ dataDir: data.data, ...(pg ? { database: pg.url } : {}) });
    const db = await openDb();
    try {
      await db.mutate(async (tx) => {
        await tx.createApp(app, { version: 1, bytes: Buffer.from(serializeRoot(trust.root)) });
        // The desired-state path reads a release's version, digest and settings: one without images stands in for a pushed one.
        await putPlaceholderRelease(tx, app, version);
        await tx.promote(app, 'stable', version, false);
      }, { actor: 'system', action: 'bench.seed', target: `app:${app}`, address: 'local' });
    } finally {
      await db.close();
    }
    const hub = await startHubProcess({ ...data, ...(opts.env ? { env: opts.env } : {}) });
    stops.push(() => hub.stop());
    const api = async <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown, status?: number): Promise<T> => {
      const res = await request(`${hub.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      if (status !== undefined ? res.statusCode !== status : res.statusCode >= 300) throw new Error(`${method} ${path} answered ${res.statusCode}: ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    };
    await api('PUT', `/apps/${app}/keys/timestamp`, { key: await trust.timestampKeyPem() });
    const customer = 'fleet';
    await api('POST', '/customers', { name: customer, entitlements: [{ app, channel: 'stable' }] });
    return {
      hub,
      data,
      backend: opts.backend,
      app,
      customer,
      adminToken,
      api,
      openDb,
      async enrollToken(uses) {
        return (await api<{ token: string }>('POST', `/customers/${customer}/enroll-tokens`, { app, uses, expiresInSeconds: 3600 })).token;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
