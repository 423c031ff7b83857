// Customer policies beyond pins and windows: upgrade approval (a customer approves a version before its instances
// switch to it) and the release notes a customer sees between what it runs and what its channel offers.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, type CustomerPrincipal } from '../auth/principal.ts';
import { mutate, notFound, principalOf, requireUser } from '../context.ts';
import { releaseNotes } from '../release-notes.ts';
import { requireCustomerAdmin } from '../access.ts';
import { NAME, SECURITY, VERSION } from '../schemas.ts';
import { SkiffError } from '../../util/index.ts';

const siteParams = { type: 'object', required: ['customer', 'app'], additionalProperties: false, properties: { customer: NAME, app: NAME } } as const;

export async function policyRoutes(app: FastifyInstance): Promise<void> {
  const { db, access } = app.hub;

  /** The customer a request speaks for: a customer token itself, or (for vendor users) the one named. */
  const customerOf = async (req: FastifyRequest, named: string | undefined, scope: 'customer:read' | 'customer:write'): Promise<CustomerPrincipal> => {
    const p = principalOf(req);
    if (p.kind === 'customer') {
      if (named !== undefined && named !== p.customerName) throw notFound(`customer "${named}"`);
      return scope === 'customer:write' ? requireCustomerAdmin(p, 'approve upgrades') : p;
    }
    if (p.kind === 'instance') throw notFound(`customer "${named ?? ''}"`);
    requireUser(req, scope, `customer "${named ?? ''}"`);
    if (named === undefined) throw new SkiffError('INVALID_INPUT', 'name the customer: ?customer=NAME (a customer token names itself)');
    const c = await access.customer(p, named);
    return { kind: 'customer', customerId: c.id, customerName: c.name, tokenId: p.tokenId };
  };

  app.get<{ Params: { app: string }; Querystring: { from?: string; customer?: string } }>('/apps/:app/notes', {
    schema: {
      tags: ['releases'],
      summary: 'Release notes of what the channel offers above what the customer runs (or above ?from=)',
      security: SECURITY,
      params: { type: 'object', required: ['app'], additionalProperties: false, properties: { app: NAME } },
      querystring: { type: 'object', additionalProperties: false, properties: { from: VERSION, customer: NAME } },
    },
  }, async (req) => releaseNotes(db, access, await customerOf(req, req.query.customer, 'customer:read'), req.params.app, req.query.from));

  app.get<{ Params: { customer: string; app: string } }>('/customers/:customer/apps/:app/approval', {
    schema: { tags: ['customers'], summary: 'Whether the customer approves upgrades of the app, and the versions it approved', security: SECURITY, params: siteParams },
  }, async (req) => {
    const c = await customerOf(req, req.params.customer, 'customer:read');
    await access.app(c, req.params.app);
    return db.notify.getApproval(c.customerId, req.params.app);
  });

  app.put<{ Params: { customer: string; app: string }; Body: { required: boolean } }>('/customers/:customer/apps/:app/approval', {
    schema: {
      tags: ['customers'],
      summary: "Require (or stop requiring) the customer's approval before its instances of the app upgrade",
      security: SECURITY,
      params: siteParams,
      body: { type: 'object', required: ['required'], additionalProperties: false, properties: { required: { type: 'boolean' } } },
    },
  }, async (req) => {
    requireUser(req, 'customer:write', `customer "${req.params.customer}"`);
    const c = await access.customer(principalOf(req), req.params.customer);
    const done = await mutate(app, req, (tx) => tx.notify.setApprovalRequired(c.id, req.params.app, req.body.required), {
      action: 'customer.approval-policy', target: `customer:${c.name}/app:${req.params.app}`, details: { required: req.body.required },
    });
    if (!done) throw notFound(`app "${req.params.app}" in the entitlements of customer "${c.name}"`);
    return db.notify.getApproval(c.id, req.params.app);
  });

  app.post<{ Params: { app: string }; Body: { version: string; customer?: string } }>('/apps/:app/approvals', {
    schema: {
      tags: ['customers'],
      summary: "The customer approves upgrading its instances of the app up to a version its channel offers",
      security: SECURITY,
      params: { type: 'object', required: ['app'], additionalProperties: false, properties: { app: NAME } },
      body: { type: 'object', required: ['version'], additionalProperties: false, properties: { version: VERSION, customer: NAME } },
    },
  }, async (req, reply) => {
    const c = await customerOf(req, req.body.customer, 'customer:write');
    await access.release(c, req.params.app, req.body.version);
    await mutate(app, req, (tx) => tx.notify.approve(c.customerId, req.params.app, req.body.version, actorOf(req.principal)), {
      action: 'customer.approve', target: `customer:${c.customerName}/app:${req.params.app}`, details: { version: req.body.version },
    });
    return reply.code(201).send(await db.notify.getApproval(c.customerId, req.params.app));
  });
}
