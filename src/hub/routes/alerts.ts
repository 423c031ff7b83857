// The alerts the hub evaluates itself (instance unhealthy, silent, upgrade failed): vendor users with customer:read
// see every customer's, a customer token its own instances'.
import type { FastifyInstance } from 'fastify';
import { notFound, principalOf, requireUser } from '../context.ts';
import type { AlertState } from '../db/types.ts';
import { ALERT_RULES } from '../alerts/rules.ts';
import { SECURITY } from '../schemas.ts';

export async function alertRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.hub;
  app.get<{ Querystring: { state?: AlertState } }>('/alerts', {
    schema: {
      tags: ['instances'],
      summary: 'Alerts the hub evaluated: firing and resolved, since when, for which instance',
      security: SECURITY,
      querystring: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', enum: ['firing', 'resolved'] } } },
    },
  }, async (req) => {
    const p = principalOf(req);
    let customerId: string | undefined;
    if (p.kind === 'user') requireUser(req, 'customer:read', 'route GET /api/v1/alerts');
    else if (p.kind === 'customer') customerId = p.customerId;
    else throw notFound('route GET /api/v1/alerts');
    const list = await db.observe.listAlerts({ ...(req.query.state ? { state: req.query.state } : {}), ...(customerId ? { customerId } : {}) });
    return { alerts: list.map((a) => ({ ...a, alertname: ALERT_RULES[a.rule as keyof typeof ALERT_RULES] ?? a.rule })) };
  });
}
