// A customer's age X25519 recipient: set or cleared by a vendor user (audited); the customer's bundles are then
// encrypted to it and /v2/ refuses it plain images (the rule: access.ts), and the bundles encrypted to a former key
// are dropped from the cache.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkRecipient } from '../../bundle/index.ts';
import { mutate, principalOf, requireUser } from '../context.ts';
import { notFound } from '../access.ts';
import { NAME, SECURITY } from '../schemas.ts';

const params = { type: 'object', required: ['customer'], additionalProperties: false, properties: { customer: NAME } } as const;
const RECIPIENT = { type: 'string', minLength: 1, maxLength: 256 } as const;

export async function customerRecipientRoutes(app: FastifyInstance): Promise<void> {
  const { access, encryptedBundles } = app.hub;

  async function setRecipient(customer: string, recipient: string | null, req: FastifyRequest): Promise<{ recipient: string | null }> {
    const c = await access.customer(principalOf(req), customer);
    await mutate(app, req, async (tx) => {
      if (!(await tx.setCustomerRecipient(c.id, recipient))) throw notFound(`customer "${customer}"`);
    }, recipient === null
      ? { action: 'customer.recipient.clear', target: `customer:${c.name}`, details: { previous: c.recipient } }
      : { action: 'customer.recipient.set', target: `customer:${c.name}`, details: { recipient, previous: c.recipient } });
    await encryptedBundles.invalidate(c.id);
    return { recipient };
  }

  app.put<{ Params: { customer: string }; Body: { recipient: string } }>('/customers/:customer/recipient', {
    schema: {
      tags: ['customers'],
      summary: "Set the customer's age X25519 recipient (age1…): its bundles are then encrypted to it, and /v2/ refuses it plain images",
      security: SECURITY,
      params,
      body: { type: 'object', required: ['recipient'], additionalProperties: false, properties: { recipient: RECIPIENT } },
    },
  }, async (req) => {
    requireUser(req, 'customer:write', `customer "${req.params.customer}"`);
    checkRecipient(req.body.recipient, 'body.recipient');
    return setRecipient(req.params.customer, req.body.recipient, req);
  });

  app.delete<{ Params: { customer: string } }>('/customers/:customer/recipient', {
    schema: { tags: ['customers'], summary: "Clear the customer's recipient: its bundles are plain again, and /v2/ serves it", security: SECURITY, params },
  }, async (req) => {
    requireUser(req, 'customer:write', `customer "${req.params.customer}"`);
    return setRecipient(req.params.customer, null, req);
  });
}
