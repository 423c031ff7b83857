// Customer users: the people who sign in to the portal for one customer. A vendor admin manages any customer's; a
// customer-admin its own customer's (another customer's answers NOT_FOUND, as for a missing one). Every change audited.
import type { FastifyInstance } from 'fastify';
import { hashPassword } from '../auth/secrets.ts';
import { mutate, notFound, principalOf } from '../context.ts';
import { CUSTOMER_ROLES, type CustomerRole, type CustomerUserRecord } from '../db/types-customer-users.ts';
import { NAME, SECURITY, USERNAME } from '../schemas.ts';

const view = (u: CustomerUserRecord, customer: string) => ({ id: u.id, customer, username: u.username, role: u.role, createdAt: u.createdAt });
const customerParams = { type: 'object', required: ['customer'], additionalProperties: false, properties: { customer: NAME } } as const;

export async function customerUserRoutes(app: FastifyInstance): Promise<void> {
  const { db, access } = app.hub;

  app.get<{ Params: { customer: string } }>('/customers/:customer/users', {
    schema: { tags: ['customers'], summary: "A customer's users (the portal's accounts); a customer sees its own", security: SECURITY, params: customerParams },
  }, async (req) => {
    const c = await access.customer(principalOf(req), req.params.customer);
    return { users: (await db.customerUsers.list(c.id)).map((u) => view(u, c.name)) };
  });

  app.post<{ Params: { customer: string }; Body: { username: string; password: string; role: CustomerRole } }>('/customers/:customer/users', {
    schema: {
      tags: ['customers'],
      summary: 'Create a customer user (a vendor admin, or a customer-admin for its own customer)',
      security: SECURITY,
      params: customerParams,
      body: {
        type: 'object',
        required: ['username', 'password', 'role'],
        additionalProperties: false,
        properties: { username: USERNAME, password: { type: 'string', minLength: 12, maxLength: 1024 }, role: { type: 'string', enum: CUSTOMER_ROLES } },
      },
    },
  }, async (req, reply) => {
    const c = await access.customerForChange(principalOf(req), req.params.customer, 'user:admin', "manage the customer's users");
    const passwordHash = await hashPassword(req.body.password);
    const user = await mutate(app, req, (tx) => tx.customerUsers.create({ customerId: c.id, username: req.body.username, passwordHash, role: req.body.role }), (u) => ({
      action: 'customer.user.create', target: `customer:${c.name}/user:${u.username}`, details: { role: u.role },
    }));
    return reply.status(201).send(view(user, c.name));
  });

  app.delete<{ Params: { customer: string; username: string } }>('/customers/:customer/users/:username', {
    schema: {
      tags: ['customers'],
      summary: 'Remove a customer user; its sessions end at once',
      security: SECURITY,
      params: { type: 'object', required: ['customer', 'username'], additionalProperties: false, properties: { customer: NAME, username: USERNAME } },
    },
  }, async (req) => {
    const c = await access.customerForChange(principalOf(req), req.params.customer, 'user:admin', "manage the customer's users");
    const { username } = req.params;
    await mutate(app, req, async (tx) => {
      // Refused inside the change, so that nothing is recorded for a user who is not there.
      if (!(await tx.customerUsers.remove(c.id, username))) throw notFound(`user "${username}" of customer "${c.name}"`);
    }, { action: 'customer.user.remove', target: `customer:${c.name}/user:${username}` });
    return { removed: username };
  });
}
