// Delivery reports: GET /api/v1/reports/adoption?app=A, JSON, or CSV for `Accept: text/csv` or `format=csv`. Vendor
// users with customer:read see the whole fleet; a customer token sees its own instances (of an app it is entitled to).
import type { FastifyInstance } from 'fastify';
import { adoptionCsv, adoptionReport } from '../../fleet/index.ts';
import { notFound, principalOf, requireUser } from '../context.ts';
import { NAME, SECURITY } from '../schemas.ts';

type Query = { app: string; format?: 'json' | 'csv' };

export async function reportRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.hub;
  app.get<{ Querystring: Query }>('/reports/adoption', {
    schema: {
      tags: ['reports'],
      summary: "An app's delivery report: instances per version, versions behind, time to 50 % / 90 % adoption, failed upgrades, per customer",
      security: SECURITY,
      querystring: { type: 'object', required: ['app'], additionalProperties: false, properties: { app: NAME, format: { type: 'string', enum: ['json', 'csv'] } } },
    },
  }, async (req, reply) => {
    const p = principalOf(req);
    const name = req.query.app;
    let only: string | undefined;
    if (p.kind === 'user') requireUser(req, 'customer:read', 'route GET /api/v1/reports/adoption');
    else if (p.kind === 'customer') only = p.customerId;
    else throw notFound('route GET /api/v1/reports/adoption');
    const customers = await db.listCustomers();
    const channelOf = new Map(customers.map((c) => [c.id, c.entitlements.find((e) => e.app === name)?.channel ?? null]));
    if (!(await db.getApp(name)) || (only !== undefined && channelOf.get(only) == null)) throw notFound(`app "${name}"`);
    const names = new Map(customers.map((c) => [c.id, c.name]));
    const fleet = (await db.listFleet({ app: name, ...(only ? { customerId: only } : {}) })).filter((i) => i.revokedAt === null);
    const channels = (await db.listChannels(name)).filter((c) => only === undefined || c.name === channelOf.get(only));
    const events = await db.observe.appEvents(name, ['version', 'upgrade-failed']);
    const report = adoptionReport({
      app: name,
      channels: channels.map((c) => ({ name: c.name, releases: c.releases.map((r) => ({ version: r.version, promotedAt: r.promotedAt })) })),
      instances: fleet.map((i) => ({ id: i.id, name: i.name, customer: names.get(i.customerId) ?? '', channel: channelOf.get(i.customerId) ?? null, currentVersion: i.currentVersion })),
      versionEvents: events.filter((e) => e.kind === 'version').map((e) => ({ instanceId: e.instanceId, at: e.at, to: typeof e.detail.to === 'string' ? e.detail.to : null })),
      failures: events.filter((e) => e.kind === 'upgrade-failed').map((e) => ({ instanceId: e.instanceId, at: e.at, version: String(e.detail.version), reason: String(e.detail.reason) })),
    });
    const csv = req.query.format === 'csv' || (req.query.format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ''));
    if (!csv) return { generatedAt: new Date().toISOString(), ...report };
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}-adoption.csv"`).send(adoptionCsv(report));
  });
}
