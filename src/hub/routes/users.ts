// Vendor users (admin only): create with a role, list.
import type { FastifyInstance } from 'fastify';
import { hashPassword } from '../auth/secrets.ts';
import { mutate, requireUser } from '../context.ts';
import type { Role, UserRecord } from '../db/types.ts';
import { ROLE, SECURITY, USERNAME } from '../schemas.ts';

const view = (u: UserRecord) => ({ id: u.id, username: u.username, role: u.role, createdAt: u.createdAt });

export async function userRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.hub;

  app.get('/users', { schema: { tags: ['users'], summary: 'List users', security: SECURITY } }, async (req) => {
    requireUser(req, 'user:admin', 'route GET /api/v1/users');
    return { users: (await db.listUsers()).map(view) };
  });

  app.post<{ Body: { username: string; password: string; role: Role } }>('/users', {
    schema: {
      tags: ['users'],
      summary: 'Create a user',
      security: SECURITY,
      body: {
        type: 'object',
        required: ['username', 'password', 'role'],
        additionalProperties: false,
        properties: { username: USERNAME, password: { type: 'string', minLength: 12, maxLength: 1024 }, role: ROLE },
      },
    },
  }, async (req, reply) => {
    requireUser(req, 'user:admin', 'route POST /api/v1/users');
    const passwordHash = await hashPassword(req.body.password);
    const user = await mutate(app, req, (tx) => tx.createUser({ username: req.body.username, passwordHash, role: req.body.role }), (u) => ({
      action: 'user.create', target: `user:${u.username}`, details: { role: u.role },
    }));
    return reply.status(201).send(view(user));
  });
}
