// The audit log (admins): page through entries and check the hash chain.
import type { FastifyInstance } from 'fastify';
import { verifyAuditChain } from '../audit/chain.ts';
import { requireUser } from '../context.ts';
import { SECURITY } from '../schemas.ts';

const COUNT = { type: 'string', pattern: '^[0-9]{1,9}$' } as const;

export async function auditRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.hub;

  app.get<{ Querystring: { after?: string; limit?: string } }>('/audit', {
    schema: {
      tags: ['audit'],
      summary: 'Audit entries after an id, oldest first',
      security: SECURITY,
      querystring: { type: 'object', additionalProperties: false, properties: { after: COUNT, limit: COUNT } },
    },
  }, async (req) => {
    requireUser(req, 'audit:read', 'route GET /api/v1/audit');
    const limit = Math.min(Math.max(Number(req.query.limit ?? 100), 1), 1000);
    return { entries: await db.listAudit({ afterId: Number(req.query.after ?? 0), limit }) };
  });

  app.get('/audit/verify', { schema: { tags: ['audit'], summary: 'Check the hash chain', security: SECURITY } }, async (req) => {
    requireUser(req, 'audit:read', 'route GET /api/v1/audit/verify');
    return verifyAuditChain(await db.listAudit());
  });
}
