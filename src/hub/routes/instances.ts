// The fleet as the vendor (and each customer, for its own) sees it: list with filters, one instance with its history;
// revoke, install now, pins and maintenance windows; and the app's timestamp key the hub signs desired state with.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseTag, parseWindows } from '../../fleet/index.ts';
import { parseRoot, signingKeyFromPem } from '../../trust/index.ts';
import { SkiffError } from '../../util/index.ts';
import { mutate, notFound, principalOf, requireUser } from '../context.ts';
import { SEARCH_MAX_WORDS, searchWords } from '../db/sql-fleet-search.ts';
import type { InstanceRecord } from '../db/types.ts';
import { timestampKeyContext } from '../desired.ts';
import { fleetSummary, instanceView } from '../instance-view.ts';
import { NAME, SECURITY, UUID, VERSION, appParams } from '../schemas.ts';

const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: UUID } } as const;
const siteParams = { type: 'object', required: ['customer', 'app'], additionalProperties: false, properties: { customer: NAME, app: NAME } } as const;
const WINDOWS = { type: 'array', maxItems: 64, items: { type: 'object' } } as const;
const POLICY = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { pinnedVersion: { anyOf: [VERSION, { type: 'null' }] }, windows: WINDOWS },
} as const;

type Policy = { pinnedVersion?: string | null; windows?: unknown[] };
type FleetQuery = { app?: string; version?: string; health?: string; customer?: string; seenBefore?: string; tag?: string | string[]; q?: string; limit?: string; offset?: string };

export async function instanceRoutes(app: FastifyInstance): Promise<void> {
  const { db, access, sealer } = app.hub;

  /** The instance if the caller may see it: vendor users with customer:read, or its own customer; else NOT_FOUND. */
  async function visibleInstance(req: FastifyRequest, id: string): Promise<{ inst: InstanceRecord; customer: string }> {
    const { inst, customer } = await access.instance(principalOf(req), id);
    return { inst, customer: customer.name };
  }

  app.get<{ Querystring: FleetQuery }>('/instances', {
    schema: {
      tags: ['instances'],
      summary: 'The fleet: instances with their version, health and last check-in (a customer sees its own)',
      security: SECURITY,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          app: NAME, version: VERSION, health: { type: 'string', enum: ['healthy', 'unhealthy', 'unknown'] }, customer: NAME, seenBefore: { type: 'string', format: 'date-time' },
          tag: { anyOf: [{ type: 'string', maxLength: 200 }, { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 200 } }], description: 'k=v; repeat for all of several' },
          q: { type: 'string', maxLength: 200, description: `text: every word (at most ${SEARCH_MAX_WORDS}) occurs in the id, name, customer, version or tags (k=v); case-insensitive` },
          limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$|^10000$', description: 'at most this many (1..10000; default 10000), in order of customer and name' },
          offset: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'after skipping this many' },
        },
      },
    },
  }, async (req) => {
    const p = principalOf(req);
    const q = req.query;
    let customerId: string | undefined;
    if (p.kind === 'user') {
      requireUser(req, 'customer:read', 'route GET /api/v1/instances');
      if (q.customer !== undefined) customerId = (await db.getCustomerByName(q.customer))?.id ?? '-';
    } else {
      if (p.kind === 'instance' || (q.customer !== undefined && q.customer !== p.customerName)) throw notFound('route GET /api/v1/instances');
      customerId = p.customerId;
    }
    if (searchWords(q.q).length > SEARCH_MAX_WORDS) throw new SkiffError('INVALID_INPUT', `query q has more than ${SEARCH_MAX_WORDS} words: search with fewer`);
    const tags = Object.fromEntries((q.tag === undefined ? [] : [q.tag].flat()).map((t) => parseTag(t, 'query tag', 'INVALID_INPUT')));
    const list = await db.listFleet({ tags, ...(q.app ? { app: q.app } : {}), ...(q.version ? { version: q.version } : {}), ...(q.health ? { health: q.health } : {}), ...(customerId ? { customerId } : {}), ...(q.seenBefore ? { seenBefore: q.seenBefore } : {}), ...(q.q ? { search: q.q } : {}), ...(q.limit ? { limit: Number(q.limit) } : {}), ...(q.offset ? { offset: Number(q.offset) } : {}) });
    const names = new Map((await db.listCustomers()).map((c) => [c.id, c.name]));
    return { instances: list.map((i) => instanceView(i, names.get(i.customerId) ?? '')) };
  });

  app.get('/instances/summary', {
    schema: { tags: ['instances'], summary: 'The fleet at a glance: unrevoked instances, how many are unhealthy, how many run each version', security: SECURITY },
  }, async (req) => {
    requireUser(req, 'customer:read', 'route GET /api/v1/instances/summary');
    return fleetSummary(await db.observe.fleetCounts());
  });

  app.get<{ Params: { id: string } }>('/instances/:id', {
    schema: { tags: ['instances'], summary: 'One instance and its history (versions, health, errors with their reasons)', security: SECURITY, params: idParams },
  }, async (req) => {
    const { inst, customer } = await visibleInstance(req, req.params.id);
    return { ...instanceView(inst, customer), metricsHistory: await db.observe.metricsHistory(inst.id), history: await db.listInstanceEvents(inst.id, 200) };
  });

  app.post<{ Params: { id: string } }>('/instances/:id/revoke', {
    schema: { tags: ['instances'], summary: 'Revoke an instance: its credential stops working at once', security: SECURITY, params: idParams, body: { type: 'object', additionalProperties: false, properties: {} } },
  }, async (req) => {
    requireUser(req, 'customer:write', `instance ${req.params.id}`);
    const { inst, customer } = await visibleInstance(req, req.params.id);
    if (!(await mutate(app, req, (tx) => tx.revokeInstance(inst.id), { action: 'instance.revoke', target: `instance:${inst.id}`, details: { customer, name: inst.name } })))
      throw new SkiffError('CONFLICT', `instance ${inst.id} is already revoked`);
    return instanceView((await db.getInstance(inst.id)) ?? inst, customer);
  });

  app.post<{ Params: { id: string } }>('/instances/:id/install-now', {
    schema: { tags: ['instances'], summary: 'Switch at the next poll, outside the maintenance windows', security: SECURITY, params: idParams, body: { type: 'object', additionalProperties: false, properties: {} } },
  }, async (req) => {
    requireUser(req, 'customer:write', `instance ${req.params.id}`);
    const { inst, customer } = await visibleInstance(req, req.params.id);
    await mutate(app, req, (tx) => tx.setInstancePolicy(inst.id, { installNow: true }), { action: 'instance.install-now', target: `instance:${inst.id}` });
    return instanceView((await db.getInstance(inst.id)) ?? inst, customer);
  });

  app.patch<{ Params: { id: string }; Body: Policy }>('/instances/:id/policy', {
    schema: { tags: ['instances'], summary: "An instance's pin and maintenance windows (over its customer's)", security: SECURITY, params: idParams, body: POLICY },
  }, async (req) => {
    requireUser(req, 'customer:write', `instance ${req.params.id}`);
    const { inst, customer } = await visibleInstance(req, req.params.id);
    const policy = checkedPolicy(req.body);
    await mutate(app, req, (tx) => tx.setInstancePolicy(inst.id, policy), { action: 'instance.policy', target: `instance:${inst.id}`, details: policy });
    return instanceView((await db.getInstance(inst.id)) ?? inst, customer);
  });

  app.get<{ Params: { customer: string; app: string } }>('/customers/:customer/apps/:app/policy', {
    schema: { tags: ['instances'], summary: "A customer's pin and maintenance windows for an app's instances (a customer reads its own)", security: SECURITY, params: siteParams },
  }, async (req) => {
    const p = principalOf(req);
    const c = await access.customer(p, req.params.customer);
    await access.app(p.kind === 'user' ? p : { kind: 'customer', customerId: c.id, customerName: c.name, tokenId: p.tokenId }, req.params.app);
    return db.getSitePolicy(c.id, req.params.app);
  });

  app.patch<{ Params: { customer: string; app: string }; Body: Policy }>('/customers/:customer/apps/:app/policy', {
    schema: {
      tags: ['instances'],
      summary: "A customer's pin and maintenance windows for an app's instances (a customer-admin sets its windows)",
      security: SECURITY,
      params: siteParams,
      body: POLICY,
    },
  }, async (req) => {
    const p = principalOf(req);
    const c = await access.customerForChange(p, req.params.customer, 'customer:write', 'set maintenance windows');
    if (p.kind === 'customer' && req.body.pinnedVersion !== undefined) throw new SkiffError('FORBIDDEN', 'a customer sets its maintenance windows here; a pin is set by the vendor');
    const policy = checkedPolicy(req.body);
    const done = await mutate(app, req, (tx) => tx.setSitePolicy(c.id, req.params.app, policy), { action: 'customer.policy', target: `customer:${c.name}/app:${req.params.app}`, details: policy });
    if (!done) throw notFound(`app "${req.params.app}" in the entitlements of customer "${c.name}"`);
    return db.getSitePolicy(c.id, req.params.app);
  });

  app.put<{ Params: { app: string }; Body: { key: string } }>('/apps/:app/keys/timestamp', {
    schema: {
      tags: ['apps'],
      summary: "Give the hub the app's timestamp key (PKCS8 PEM), which the latest root.json must list; it is sealed at rest and never returned",
      security: SECURITY,
      params: appParams,
      body: { type: 'object', required: ['key'], additionalProperties: false, properties: { key: { type: 'string', minLength: 40, maxLength: 8192 } } },
    },
  }, async (req) => {
    const name = req.params.app;
    requireUser(req, 'app:write', `app "${name}"`);
    const roots = await db.listRoots(name);
    const last = roots.at(-1);
    if (!last) throw notFound(`app "${name}"`);
    const key = signingKeyFromPem(req.body.key, 'body.key');
    const root = parseRoot(last.root, `root.json version ${last.version} of app "${name}"`);
    if (!root.signed.roles.timestamp?.keyids.includes(key.keyid))
      throw new SkiffError('TRUST_INVALID', `body.key (${key.keyid.slice(0, 8)}) is not the timestamp key of app "${name}"'s root.json version ${last.version}: push the root that lists it first (skiff app roots), or rotate with skiff trust rotate --timestamp`);
    await mutate(app, req, (tx) => tx.putAppKey(name, 'timestamp', key.keyid, sealer.seal(req.body.key, timestampKeyContext(name))), {
      action: 'app.key.timestamp', target: `app:${name}`, details: { keyid: key.keyid },
    });
    return { app: name, role: 'timestamp', keyid: key.keyid };
  });
}

function checkedPolicy(body: Policy): Policy {
  return { ...(body.pinnedVersion !== undefined ? { pinnedVersion: body.pinnedVersion } : {}), ...(body.windows ? { windows: parseWindows(body.windows, 'body.windows') } : {}) };
}
