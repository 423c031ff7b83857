// Customers: create (returns the customer token once), list, show, entitlements, tokens, instances; a customer sees only itself.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mintToken } from '../auth/secrets.ts';
import { mutate, principalOf, requireUser } from '../context.ts';
import type { CustomerRecord, Entitlement, MetadataTx } from '../db/types.ts';
import { ENTITLEMENT, NAME, SECURITY } from '../schemas.ts';

const customerParams = { type: 'object', required: ['customer'], additionalProperties: false, properties: { customer: NAME } } as const;
const ENTITLEMENTS = { type: 'array', items: ENTITLEMENT, maxItems: 1000 } as const;

interface EntitlementInput {
  app: string;
  channel: string;
  expiresAt?: string | null;
}
const normalize = (list: readonly EntitlementInput[]): Entitlement[] =>
  list.map((e) => ({ app: e.app, channel: e.channel, expiresAt: e.expiresAt ?? null }));

/** The named customer if the caller may see it: vendor users with "customer:read", or that customer itself. */
const visibleCustomer = (app: FastifyInstance, req: FastifyRequest, name: string): Promise<CustomerRecord> => app.hub.access.customer(principalOf(req), name);

async function issueCustomerToken(tx: MetadataTx, c: CustomerRecord): Promise<string> {
  const { token, hash } = mintToken('skc_');
  await tx.createToken({ kind: 'customer', hash, name: `customer ${c.name}`, userId: null, customerId: c.id, scopes: ['read'], expiresAt: null });
  return token;
}

export async function customerRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.hub;

  app.post<{ Body: { name: string; entitlements: EntitlementInput[]; airgapped?: boolean } }>('/customers', {
    schema: {
      tags: ['customers'],
      summary: 'Create a customer; the answer carries its token, shown once',
      security: SECURITY,
      body: {
        type: 'object',
        required: ['name', 'entitlements'],
        additionalProperties: false,
        properties: { name: NAME, entitlements: ENTITLEMENTS, airgapped: { type: 'boolean' } },
      },
    },
  }, async (req, reply) => {
    requireUser(req, 'customer:write', 'route POST /api/v1/customers');
    const input = { name: req.body.name, airgapped: req.body.airgapped ?? false, entitlements: normalize(req.body.entitlements) };
    const created = await mutate(app, req, async (tx) => {
      const customer = await tx.createCustomer(input);
      return { customer, token: await issueCustomerToken(tx, customer) };
    }, ({ customer: c }) => ({ action: 'customer.create', target: `customer:${c.name}`, details: { entitlements: c.entitlements, airgapped: c.airgapped } }));
    return reply.status(201).send(created);
  });

  app.get('/customers', { schema: { tags: ['customers'], summary: 'List customers (a customer sees only itself)', security: SECURITY } }, async (req) => {
    const p = principalOf(req);
    if (p.kind === 'user') requireUser(req, 'customer:read', 'route GET /api/v1/customers');
    else {
      const self = await db.getCustomer(p.customerId);
      return { customers: self ? [self] : [] };
    }
    return { customers: await db.listCustomers() };
  });

  app.get<{ Params: { customer: string } }>('/customers/:customer', {
    schema: { tags: ['customers'], summary: 'Show a customer', security: SECURITY, params: customerParams },
  }, async (req) => visibleCustomer(app, req, req.params.customer));

  app.get<{ Params: { customer: string } }>('/customers/:customer/entitlements', {
    schema: { tags: ['customers'], summary: "A customer's entitlements", security: SECURITY, params: customerParams },
  }, async (req) => ({ entitlements: (await visibleCustomer(app, req, req.params.customer)).entitlements }));

  app.put<{ Params: { customer: string }; Body: { entitlements: EntitlementInput[] } }>('/customers/:customer/entitlements', {
    schema: {
      tags: ['customers'],
      summary: "Replace a customer's entitlements",
      security: SECURITY,
      params: customerParams,
      body: { type: 'object', required: ['entitlements'], additionalProperties: false, properties: { entitlements: ENTITLEMENTS } },
    },
  }, async (req) => {
    requireUser(req, 'customer:write', `customer "${req.params.customer}"`);
    const c = await visibleCustomer(app, req, req.params.customer);
    const entitlements = await mutate(app, req, async (tx) => {
      await tx.setEntitlements(c.id, normalize(req.body.entitlements));
      return (await tx.getCustomer(c.id))?.entitlements ?? [];
    }, (list) => ({ action: 'customer.entitlements', target: `customer:${c.name}`, details: { entitlements: list } }));
    return { entitlements };
  });

  app.post<{ Params: { customer: string } }>('/customers/:customer/tokens', {
    schema: {
      tags: ['customers'],
      summary: 'Issue another customer token (shown once)',
      security: SECURITY,
      params: customerParams,
      body: { type: 'object', additionalProperties: false, properties: {} },
    },
  }, async (req, reply) => {
    requireUser(req, 'customer:write', `customer "${req.params.customer}"`);
    const c = await visibleCustomer(app, req, req.params.customer);
    const token = await mutate(app, req, (tx) => issueCustomerToken(tx, c), { action: 'customer.token', target: `customer:${c.name}` });
    return reply.status(201).send({ token });
  });

  app.get<{ Params: { customer: string } }>('/customers/:customer/tokens', {
    schema: { tags: ['customers'], summary: "A customer's tokens (never their secrets): its customer tokens and its instances' own credentials (kind instance, revoked with the instance)", security: SECURITY, params: customerParams },
  }, async (req) => {
    requireUser(req, 'customer:read', `customer "${req.params.customer}"`);
    const c = await visibleCustomer(app, req, req.params.customer);
    const list = await db.listTokens({ customerId: c.id });
    return { tokens: list.map((t) => ({ id: t.id, kind: t.kind, name: t.name, createdAt: t.createdAt, revokedAt: t.revokedAt })) };
  });

  app.get<{ Params: { customer: string } }>('/customers/:customer/instances', {
    schema: { tags: ['instances'], summary: "A customer's instances", security: SECURITY, params: customerParams },
  }, async (req) => {
    const c = await visibleCustomer(app, req, req.params.customer);
    return { instances: await db.listInstances(c.id) };
  });
}
