// API tokens for CI (create with scopes within the caller's role, list own, revoke); secrets are shown once.
import type { FastifyInstance } from 'fastify';
import { SkiffError } from '../../util/index.ts';
import type { Scope } from '../auth/permissions.ts';
import { mintToken } from '../auth/secrets.ts';
import { mutate, notFound, requireUser } from '../context.ts';
import type { TokenRecord } from '../db/types.ts';
import { SCOPE, SECURITY, UUID } from '../schemas.ts';

const view = (t: TokenRecord) => ({
  id: t.id, kind: t.kind, name: t.name, scopes: t.scopes, createdAt: t.createdAt, expiresAt: t.expiresAt, revokedAt: t.revokedAt,
});

export async function tokenRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.hub;

  app.post<{ Body: { name: string; scopes: Scope[]; expiresInDays?: number } }>('/tokens', {
    schema: {
      tags: ['tokens'],
      summary: 'Create an API token (returned once)',
      security: SECURITY,
      body: {
        type: 'object',
        required: ['name', 'scopes'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100 },
          scopes: { type: 'array', items: SCOPE, minItems: 1, uniqueItems: true },
          expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
        },
      },
    },
  }, async (req, reply) => {
    const user = requireUser(req, 'token:write', 'route POST /api/v1/tokens');
    const beyond = req.body.scopes.filter((s) => !user.scopes.has(s));
    if (beyond.length > 0) throw new SkiffError('FORBIDDEN', `scopes ${beyond.join(', ')} exceed your own permissions; ask an admin`);
    const { token, hash } = mintToken('skh_');
    const expiresAt = req.body.expiresInDays === undefined ? null : new Date(Date.now() + req.body.expiresInDays * 86_400_000).toISOString();
    const rec = await mutate(
      app, req,
      (tx) => tx.createToken({ kind: 'api', hash, name: req.body.name, userId: user.userId, customerId: null, scopes: req.body.scopes, expiresAt }),
      (r) => ({ action: 'token.create', target: `token:${r.id}`, details: { name: r.name, scopes: r.scopes } }),
    );
    return reply.status(201).send({ ...view(rec), token });
  });

  app.get('/tokens', { schema: { tags: ['tokens'], summary: "List the caller's tokens", security: SECURITY } }, async (req) => {
    const user = requireUser(req, 'read', 'route GET /api/v1/tokens');
    return { tokens: (await db.listTokens({ userId: user.userId })).map(view) };
  });

  app.delete<{ Params: { id: string } }>('/tokens/:id', {
    schema: {
      tags: ['tokens'],
      summary: 'Revoke a token: your own, any user token (admins), any customer token (customer:write)',
      security: SECURITY,
      params: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: UUID } },
    },
  }, async (req) => {
    const user = requireUser(req, 'read', `token ${req.params.id}`);
    const target = (await db.listTokens({})).find((t) => t.id === req.params.id);
    const allowed =
      target !== undefined &&
      (target.userId === user.userId ||
        (target.userId !== null && user.scopes.has('user:admin')) ||
        (target.customerId !== null && user.scopes.has('customer:write')));
    if (!allowed) throw notFound(`token ${req.params.id}`);
    await mutate(app, req, async (tx) => {
      if (!(await tx.revokeToken(req.params.id))) throw notFound(`active token ${req.params.id}`);
    }, { action: 'token.revoke', target: `token:${req.params.id}` });
    return { revoked: req.params.id };
  });
}
