// GET /metrics in the Prometheus text format, for a vendor token with the metrics:read scope (an API token made for
// the scraper: `skiff` token create with --scope metrics:read; Prometheus sends it as `authorization.credentials`),
// and the hook that times every answer by method, route pattern (never the raw URL) and status.
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../context.ts';
import type { HubMetrics } from './hub-metrics.ts';

export const METRICS_PATH = '/metrics';

/** Installs the latency hook and the route on the root instance (before the route plugins, so every route is timed). */
export function installMetrics(app: FastifyInstance, metrics: HubMetrics, desiredPath: string): void {
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? '(unmatched)';
    const status = String(reply.statusCode);
    metrics.requestSeconds.observe({ method: req.method, route, status }, reply.elapsedTime / 1000);
    if (route === desiredPath && req.method === 'GET') metrics.checkins.inc({ path: 'framework', answer: reply.statusCode === 304 ? 'unchanged' : 'full' });
    done();
  });

  app.get(METRICS_PATH, { schema: { hide: true } }, async (req, reply) => {
    requireUser(req, 'metrics:read', `route GET ${METRICS_PATH}`);
    const { contentType, body } = await metrics.exposition();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}
