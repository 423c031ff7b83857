// Logs: agents send their redacted lines in numbered batches (deduplicated here), vendor users search every
// instance's, a customer only its own; and a customer's log retention.
import type { FastifyInstance } from 'fastify';
import { SkiffError } from '../../util/index.ts';
import { audit, notFound, principalOf, requireUser } from '../context.ts';
import { LOG_LEVELS, type LogLevel, type LogLine } from '../db/sql-logs.ts';
import { DATE, NAME, SECURITY, UUID } from '../schemas.ts';

/** Lines per batch and characters per line an agent may send; the agent's own limits are below these. */
export const MAX_BATCH_LINES = 2000;
export const MAX_LINE_CHARS = 16 * 1024;
const MAX_SEARCH_LINES = 9999;

const LEVEL = { type: 'string', enum: LOG_LEVELS } as const;
const LINE = {
  type: 'object',
  required: ['seq', 'at', 'service', 'source', 'level', 'message'],
  additionalProperties: false,
  properties: {
    seq: { type: 'integer', minimum: 1 },
    at: DATE,
    service: { type: 'string', minLength: 1, maxLength: 128 },
    source: { type: 'string', minLength: 1, maxLength: 512 },
    level: LEVEL,
    message: { type: 'string', maxLength: MAX_LINE_CHARS },
  },
} as const;
const BATCH = {
  type: 'object',
  required: ['stream', 'lines'],
  additionalProperties: false,
  properties: { stream: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' }, lines: { type: 'array', items: LINE } },
} as const;

type SearchQuery = { instance?: string; service?: string; level?: LogLevel; since?: string; until?: string; q?: string; limit?: string };

export async function logRoutes(app: FastifyInstance): Promise<void> {
  const { db, access } = app.hub;

  app.post<{ Params: { id: string }; Body: { stream: string; lines: LogLine[] } }>('/instances/:id/logs', {
    bodyLimit: 24 * 1024 * 1024,
    schema: {
      tags: ['logs'],
      summary: 'A batch of redacted log lines from the instance itself; lines already stored (by sequence number) are ignored',
      security: SECURITY,
      params: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: UUID } },
      body: BATCH,
    },
    // The line count is checked before the schema walks every line, so an oversized batch is 413, not a slow 400.
    preValidation: async (req) => {
      const lines = (req.body as { lines?: unknown } | undefined)?.lines;
      if (Array.isArray(lines) && lines.length > MAX_BATCH_LINES)
        throw new SkiffError('TOO_LARGE', `a log batch holds at most ${MAX_BATCH_LINES} lines (this one has ${lines.length}); send it in smaller batches`);
    },
  }, async (req) => {
    const p = principalOf(req);
    if (p.kind !== 'instance' || p.instanceId !== req.params.id) throw notFound(`instance ${req.params.id}`);
    const { inst } = await access.instance(p, req.params.id);
    const lines = checkedLines(req.body);
    const stored = await db.logs.ingest({ instanceId: inst.id, customerId: inst.customerId, stream: req.body.stream, lines });
    if (stored.length > 0) app.hub.logSink?.(stored, { instance: inst, customer: p.customerName });
    app.hub.metrics.logLinesIngested.inc({ app: inst.app }, stored.length);
    app.hub.metrics.logBytesIngested.inc({ app: inst.app }, stored.reduce((n, l) => n + Buffer.byteLength(l.message), 0));
    return { stored: stored.length, lastSeq: lines.reduce((m, l) => Math.max(m, l.seq), 0) };
  });

  app.get<{ Querystring: SearchQuery }>('/logs', {
    schema: {
      tags: ['logs'],
      summary: 'Search log lines by instance, service, level, time range and text (a customer sees its own instances)',
      security: SECURITY,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          instance: UUID, service: { type: 'string', maxLength: 128 }, level: LEVEL, since: DATE, until: DATE,
          q: { type: 'string', minLength: 1, maxLength: 256 }, limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: `at most ${MAX_SEARCH_LINES}` },
        },
      },
    },
  }, async (req) => {
    const p = principalOf(req);
    const q = req.query;
    if (p.kind === 'instance') throw notFound('route GET /api/v1/logs');
    if (p.kind === 'user') requireUser(req, 'customer:read', 'route GET /api/v1/logs');
    if (q.instance !== undefined) await access.instance(p, q.instance);
    const lines = await db.logs.search({
      ...(p.kind === 'customer' ? { customerId: p.customerId } : {}),
      ...(q.instance !== undefined ? { instanceId: q.instance } : {}),
      ...(q.service !== undefined ? { service: q.service } : {}),
      ...(q.level !== undefined ? { level: q.level } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(q.q !== undefined ? { text: q.q } : {}),
      limit: Math.min(Number(q.limit ?? 1000), MAX_SEARCH_LINES),
    });
    return { lines };
  });

  app.put<{ Params: { customer: string }; Body: { days: number } }>('/customers/:customer/log-retention', {
    schema: {
      tags: ['logs'],
      summary: "How many days the hub keeps a customer's log lines",
      security: SECURITY,
      params: { type: 'object', required: ['customer'], additionalProperties: false, properties: { customer: NAME } },
      body: { type: 'object', required: ['days'], additionalProperties: false, properties: { days: { type: 'integer', minimum: 1, maximum: 3650 } } },
    },
  }, async (req) => {
    requireUser(req, 'customer:write', `customer "${req.params.customer}"`);
    const c = await access.customer(principalOf(req), req.params.customer);
    await db.logs.setRetentionDays(c.id, req.body.days);
    await audit(app, req, 'customer.log-retention', `customer:${c.name}`, { days: req.body.days });
    return { customer: c.name, days: req.body.days };
  });
}

/** Times in one form (ISO, milliseconds), so that ordering and partitions agree whatever precision the engine gave. */
function checkedLines(body: { lines: LogLine[] }): LogLine[] {
  return body.lines.map((l, i) => {
    const at = Date.parse(l.at);
    if (Number.isNaN(at)) throw new SkiffError('INVALID_INPUT', `body.lines.${i}.at is not a valid time; send ISO 8601`);
    return { ...l, at: new Date(at).toISOString() };
  });
}
