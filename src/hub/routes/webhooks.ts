// Webhook endpoints (add, list, remove), their delivery log and redelivery by hand, and each customer's notification
// opt-in and e-mail contacts. An endpoint's secret is shown once, at creation, and kept sealed.
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { mutate, notFound, principalOf, requireUser } from '../context.ts';
import type { WebhookRecord } from '../db/types.ts';
import { EVENT_TYPES, webhookSecretContext } from '../notify/index.ts';
import { NAME, SECURITY, UUID } from '../schemas.ts';
import { SkiffError } from '../../util/index.ts';

const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: UUID } } as const;
const EMAIL = { type: 'string', maxLength: 254, pattern: '^[^\\s@<>,;]+@[^\\s@<>,;]+\\.[^\\s@<>,;]+$' } as const;

/** Only http(s) URLs without credentials in them (the signature authenticates the hub; a URL is shown in lists). */
export function checkWebhookUrl(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new SkiffError('INVALID_INPUT', `webhook URL "${raw}" is not an http:// or https:// URL; give one like https://example.com/hooks/skiff`);
  if (url.username || url.password) throw new SkiffError('INVALID_INPUT', 'a webhook URL may not carry a user name or password: the signature header authenticates the hub; remove them');
  return url.toString();
}

export async function webhookRoutes(app: FastifyInstance): Promise<void> {
  const { db, sealer } = app.hub;
  const view = async (w: WebhookRecord) => ({ id: w.id, url: w.url, events: w.events, customer: w.customerId && ((await db.getCustomer(w.customerId))?.name ?? null), createdAt: w.createdAt });

  app.post<{ Body: { url: string; events?: string[]; customer?: string } }>('/webhooks', {
    schema: {
      tags: ['notifications'],
      summary: 'Add a webhook endpoint; the answer carries its signing secret, shown once',
      security: SECURITY,
      body: {
        type: 'object', required: ['url'], additionalProperties: false,
        properties: { url: { type: 'string', minLength: 1, maxLength: 2048 }, events: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', enum: ['*', ...EVENT_TYPES] } }, customer: NAME },
      },
    },
  }, async (req, reply) => {
    requireUser(req, 'app:write', 'route POST /api/v1/webhooks');
    const url = checkWebhookUrl(req.body.url);
    const customer = req.body.customer === undefined ? undefined : await db.getCustomerByName(req.body.customer);
    if (req.body.customer !== undefined && !customer) throw notFound(`customer "${req.body.customer}"`);
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const events = [...new Set(req.body.events ?? ['*'])];
    const created = await mutate(app, req, async (tx) => {
      const id = randomUUID();
      return tx.notify.addWebhook({ id, url, events, customerId: customer?.id ?? null, secretSealed: sealer.seal(secret, webhookSecretContext(id)) });
    }, (w) => ({ action: 'webhook.add', target: `webhook:${w.id}`, details: { url, events, customer: customer?.name ?? null } }));
    return reply.status(201).send({ ...(await view(created)), secret });
  });

  app.get('/webhooks', { schema: { tags: ['notifications'], summary: 'The webhook endpoints (never their secrets)', security: SECURITY } }, async (req) => {
    requireUser(req, 'read', 'route GET /api/v1/webhooks');
    return { webhooks: await Promise.all((await db.notify.listWebhooks()).map(view)) };
  });

  app.delete<{ Params: { id: string } }>('/webhooks/:id', { schema: { tags: ['notifications'], summary: 'Remove a webhook endpoint', security: SECURITY, params: idParams } }, async (req, reply) => {
    requireUser(req, 'app:write', 'route DELETE /api/v1/webhooks/:id');
    await mutate(app, req, async (tx) => {
      if (!(await tx.notify.removeWebhook(req.params.id))) throw notFound(`webhook ${req.params.id}`);
    }, { action: 'webhook.remove', target: `webhook:${req.params.id}` });
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/webhooks/:id/deliveries', {
    schema: { tags: ['notifications'], summary: "The endpoint's deliveries, newest first, each with every attempt (status, duration, error)", security: SECURITY, params: idParams },
  }, async (req) => {
    requireUser(req, 'read', 'route GET /api/v1/webhooks/:id/deliveries');
    if (!(await db.notify.getWebhook(req.params.id))) throw notFound(`webhook ${req.params.id}`);
    return { deliveries: await db.notify.listDeliveries(req.params.id) };
  });

  app.post<{ Params: { id: string } }>('/deliveries/:id/redeliver', {
    schema: { tags: ['notifications'], summary: 'Send a delivery again now (delivered, failed or pending)', security: SECURITY, params: idParams },
  }, async (req, reply) => {
    requireUser(req, 'app:write', 'route POST /api/v1/deliveries/:id/redeliver');
    await mutate(app, req, async (tx) => {
      if (!(await tx.notify.redeliver(req.params.id))) throw notFound(`delivery ${req.params.id}`);
    }, { action: 'delivery.redeliver', target: `delivery:${req.params.id}` });
    return reply.code(202).send(await db.notify.getDelivery(req.params.id));
  });

  const customerParams = { type: 'object', required: ['customer'], additionalProperties: false, properties: { customer: NAME } } as const;
  app.get<{ Params: { customer: string } }>('/customers/:customer/notifications', {
    schema: { tags: ['notifications'], summary: "A customer's notification opt-in and e-mail contacts", security: SECURITY, params: customerParams },
  }, async (req) => {
    const c = await app.hub.access.customer(principalOf(req), req.params.customer);
    return db.notify.getCustomerNotify(c.id);
  });

  app.put<{ Params: { customer: string }; Body: { webhooks?: boolean; email?: boolean; contacts?: string[] } }>('/customers/:customer/notifications', {
    schema: {
      tags: ['notifications'],
      summary: 'Opt a customer in or out of webhooks and e-mail about it, and set its contacts (the customer itself may)',
      security: SECURITY,
      params: customerParams,
      body: { type: 'object', additionalProperties: false, properties: { webhooks: { type: 'boolean' }, email: { type: 'boolean' }, contacts: { type: 'array', maxItems: 50, items: EMAIL } } },
    },
  }, async (req) => {
    const p = principalOf(req);
    if (p.kind === 'user') requireUser(req, 'customer:write', `customer "${req.params.customer}"`);
    const c = await app.hub.access.customer(p, req.params.customer);
    const cur = await db.notify.getCustomerNotify(c.id);
    const next = { webhooks: req.body.webhooks ?? cur.webhooks, email: req.body.email ?? cur.email, contacts: [...new Set(req.body.contacts ?? cur.contacts)] };
    if (next.email && next.contacts.length === 0) throw new SkiffError('INVALID_INPUT', `customer "${c.name}" has no contacts to e-mail: give contacts with email on`);
    await mutate(app, req, (tx) => tx.notify.setCustomerNotify(c.id, next), { action: 'customer.notifications', target: `customer:${c.name}`, details: next });
    return next;
  });
}
