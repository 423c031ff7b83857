// One instance's vendor-set tags (which rollouts target) and its own upgrade approvals: the customer approves version V
// for instance I while its other instances stay held. A customer token reaches only its own instances (404 otherwise).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkTags, type Tags } from '../../fleet/index.ts';
import { actorOf, type CustomerPrincipal } from '../auth/principal.ts';
import { mutate, principalOf, requireUser } from '../context.ts';
import type { InstanceRecord } from '../db/types.ts';
import { instanceView } from '../instance-view.ts';
import { SECURITY, UUID, VERSION } from '../schemas.ts';
import { SkiffError } from '../../util/index.ts';

const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: UUID } } as const;
const TAGS = { type: 'object', maxProperties: 32, additionalProperties: { type: 'string' } } as const;


export async function instanceTagRoutes(app: FastifyInstance): Promise<void> {
  const { db, access } = app.hub;

  /** Replaces, or sets and removes, the tags of an instance (vendor users with customer:write); audited. */
  async function writeTags(req: FastifyRequest<{ Params: { id: string } }>, next: (cur: Tags) => Tags): Promise<ReturnType<typeof instanceView>> {
    requireUser(req, 'customer:write', `instance ${req.params.id}`);
    const { inst, customer } = await access.instance(principalOf(req), req.params.id);
    const tags = checkTags(next(inst.tags), 'tags');
    await mutate(app, req, (tx) => tx.setInstanceTags(inst.id, tags), { action: 'instance.tags', target: `instance:${inst.id}`, details: { before: inst.tags, after: tags } });
    return instanceView((await db.getInstance(inst.id)) ?? inst, customer.name);
  }

  app.put<{ Params: { id: string }; Body: { tags: Record<string, string> } }>('/instances/:id/tags', {
    schema: {
      tags: ['instances'], summary: "Replace an instance's tags (key=value, lowercase; rollouts target them)", security: SECURITY, params: idParams,
      body: { type: 'object', required: ['tags'], additionalProperties: false, properties: { tags: TAGS } },
    },
  }, (req) => writeTags(req, () => checkTags(req.body.tags, 'body.tags')));

  app.patch<{ Params: { id: string }; Body: { set?: Record<string, string>; remove?: string[] } }>('/instances/:id/tags', {
    schema: {
      tags: ['instances'], summary: "Set some tags of an instance and remove others (by key); the rest stay", security: SECURITY, params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { set: TAGS, remove: { type: 'array', maxItems: 32, items: { type: 'string' } } } },
    },
  }, (req) => {
    const set = req.body.set === undefined ? {} : checkTags(req.body.set, 'body.set');
    return writeTags(req, (cur) => {
      const gone = new Set(req.body.remove ?? []);
      return { ...Object.fromEntries(Object.entries(cur).filter(([k]) => !gone.has(k))), ...set };
    });
  });

  /** The instance and its customer as a customer principal: a customer token for its own, a vendor user with `scope`. */
  async function approverOf(req: FastifyRequest<{ Params: { id: string } }>, scope: 'customer:read' | 'customer:write'): Promise<{ inst: InstanceRecord; c: CustomerPrincipal }> {
    const p = principalOf(req);
    if (p.kind === 'user') requireUser(req, scope, `instance ${req.params.id}`);
    const { inst, customer } = await access.instance(p, req.params.id);
    if (p.kind === 'instance') throw new SkiffError('FORBIDDEN', 'an instance may not approve its own upgrades: its customer does (customer token or portal)');
    return { inst, c: p.kind === 'customer' ? p : { kind: 'customer', customerId: customer.id, customerName: customer.name, tokenId: p.tokenId } };
  }

  const approvalsOf = async (inst: InstanceRecord, customer: string) => {
    const policy = await db.notify.getApproval(inst.customerId, inst.app);
    return { instance: inst.id, name: inst.name, customer, app: inst.app, required: policy.required, customerApproved: policy.approved, approved: await db.notify.instanceApprovals(inst.id) };
  };

  app.get<{ Params: { id: string } }>('/instances/:id/approvals', {
    schema: { tags: ['customers'], summary: "Whether the instance's upgrades need approval, and the versions approved for it and for its customer", security: SECURITY, params: idParams },
  }, async (req) => {
    const { inst, c } = await approverOf(req, 'customer:read');
    return approvalsOf(inst, c.customerName);
  });

  app.post<{ Params: { id: string }; Body: { version: string } }>('/instances/:id/approvals', {
    schema: {
      tags: ['customers'],
      summary: "The customer approves upgrading this one instance up to a version its channel offers (its other instances stay held)",
      security: SECURITY,
      params: idParams,
      body: { type: 'object', required: ['version'], additionalProperties: false, properties: { version: VERSION } },
    },
  }, async (req, reply) => {
    const { inst, c } = await approverOf(req, 'customer:write');
    await access.release(c, inst.app, req.body.version);
    await mutate(app, req, (tx) => tx.notify.approveInstance(inst.id, req.body.version, actorOf(req.principal)), {
      action: 'instance.approve', target: `instance:${inst.id}`, details: { customer: c.customerName, app: inst.app, version: req.body.version },
    });
    return reply.code(201).send(await approvalsOf(inst, c.customerName));
  });
}
