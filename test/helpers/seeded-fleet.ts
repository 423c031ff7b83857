// A hub in this process listening on 127.0.0.1 with an app, customers and instances written straight into its
// database (as enrollment writes them), each instance with its credential, and helpers to report as an instance and
// call the API; for the alert and delivery-report tests, which script the fleet's history exactly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { build, type BuildDeps } from '../../src/hub/app.ts';
import { mintToken } from '../../src/hub/auth/secrets.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import type { MetadataDb } from '../../src/hub/db/types.ts';
import { createFirstAdmin } from '../../src/hub/init.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust, serializeRoot } from '../../src/trust/index.ts';
import type { FastifyInstance } from 'fastify';
import { putPlaceholderRelease } from './checkin.ts';

export interface SeededInstance {
  readonly id: string;
  readonly name: string;
  readonly customer: string;
  readonly credential: string;
}

export interface SeededFleet {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly db: MetadataDb;
  readonly adminToken: string;
  readonly instances: readonly SeededInstance[];
  /** A customer token per customer. */
  readonly customerTokens: Readonly<Record<string, string>>;
  call(method: 'GET' | 'POST', path: string, token?: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; text: string; json: Record<string, unknown>; type: string }>;
  /** POST /api/v1/instances/self/status as the instance; asserts 204. */
  report(i: SeededInstance, report: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function startSeededFleet(opts: { app: string; versions: readonly string[]; customers: Readonly<Record<string, number>>; build?: Partial<BuildDeps> }): Promise<SeededFleet> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-seeded-'));
  const db = await openMetadataDb({ dataDir: dir });
  const admin = await createFirstAdmin(db);
  const trust = await initTrust(join(dir, 'trust'));
  const instances: SeededInstance[] = [];
  const customerTokens: Record<string, string> = {};
  await db.mutate(async (tx) => {
    await tx.createApp(opts.app, { version: 1, bytes: Buffer.from(serializeRoot(trust.root)) });
    for (const v of opts.versions) {
      await putPlaceholderRelease(tx, opts.app, v);
      await tx.promote(opts.app, 'stable', v, false);
    }
    for (const [name, count] of Object.entries(opts.customers)) {
      const c = await tx.createCustomer({ name, airgapped: false, entitlements: [{ app: opts.app, channel: 'stable', expiresAt: null }] });
      const ct = mintToken('skc_');
      await tx.createToken({ kind: 'customer', hash: ct.hash, name: `customer ${name}`, userId: null, customerId: c.id, scopes: [], expiresAt: null });
      customerTokens[name] = ct.token;
      for (let k = 0; k < count; k++) {
        const inst = await tx.createInstance({ customerId: c.id, app: opts.app, name: `${name}-${k}` });
        const cred = mintToken('ski_');
        await tx.createToken({ kind: 'instance', hash: cred.hash, name: `instance ${inst.name}`, userId: null, customerId: c.id, instanceId: inst.id, scopes: [], expiresAt: null });
        instances.push({ id: inst.id, name: inst.name, customer: name, credential: cred.token });
      }
    }
  }, { actor: 'test', action: 'test.seed', target: `app:${opts.app}`, address: 'local' });
  const app = await build({ db, blobs: new FsBlobStore(join(dir, 'store')), ...opts.build });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const call: SeededFleet['call'] = async (method, path, token, body, headers = {}) => {
    const res = await request(`${url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    const type = String(res.headers['content-type'] ?? '');
    return { status: res.statusCode, text, type, json: type.startsWith('application/json') && text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  return {
    url,
    app,
    db,
    adminToken: admin.token,
    instances,
    customerTokens,
    call,
    async report(i, report) {
      const res = await call('POST', '/api/v1/instances/self/status', i.credential, report);
      if (res.status !== 204) throw new Error(`report of ${i.name}: ${res.status} ${res.text}`);
    },
    async close() {
      await app.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
