// Enrollment and an instance's own channel: enrollment tokens (made by the vendor for a customer and an app), the
// agent's one-time enrollment, its signed desired state (ETag → 304) and its status reports.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { outageOf, type Outage } from '../../fleet/index.ts';
import { HttpHeader } from '../../oci/index.ts';
import { SkiffError } from '../../util/index.ts';
import { hashToken, mintToken } from '../auth/secrets.ts';
import type { InstancePrincipal } from '../auth/principal.ts';
import type { AgentMetrics } from '../db/types.ts';
import { mutate, principalOf, requireUser } from '../context.ts';
import { addReportEvents } from '../instance-events.ts';
import { instanceView } from '../instance-view.ts';
import { emitInstanceFailed } from '../notify/index.ts';
import { NAME, SECURITY } from '../schemas.ts';
import { AGENT_METRICS, observeReport } from '../metrics/observe-report.ts';

const MAX_EXPIRY_SECONDS = 30 * 86_400;
const FACTS = { type: 'object', maxProperties: 32, additionalProperties: { type: 'string', maxLength: 256 } } as const;
const STATUS_REPORT = {
  type: 'object',
  required: ['currentVersion', 'health'],
  additionalProperties: true,
  maxProperties: 32,
  properties: {
    currentVersion: { anyOf: [{ type: 'string', maxLength: 128 }, { type: 'null' }] },
    desiredVersion: { anyOf: [{ type: 'string', maxLength: 128 }, { type: 'null' }] },
    health: { type: 'string', enum: ['healthy', 'unhealthy', 'unknown'] },
    phase: { type: 'string', maxLength: 64 },
    lastError: { anyOf: [{ type: 'string', maxLength: 4096 }, { type: 'null' }] },
    services: { type: 'array', maxItems: 256 },
    history: { type: 'array', maxItems: 100 },
    // The release whose install failed here and was rolled back (not retried on its own), with why.
    failedRelease: {
      anyOf: [
        {
          type: 'object',
          required: ['version', 'at', 'reason'],
          additionalProperties: false,
          properties: { version: { type: 'string', maxLength: 128 }, at: { type: 'string', format: 'date-time' }, reason: { type: 'string', maxLength: 4096 } },
        },
        { type: 'null' },
      ],
    },
    lastOutage: {
      anyOf: [
        {
          type: 'object',
          required: ['since', 'until', 'failedPolls'],
          additionalProperties: false,
          properties: { since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' }, failedPolls: { type: 'integer', minimum: 1, maximum: 1_000_000_000 } },
        },
        { type: 'null' },
      ],
    },
    metrics: AGENT_METRICS,
  },
} as const;

export function instanceOf(req: FastifyRequest): InstancePrincipal {
  const p = principalOf(req);
  if (p.kind !== 'instance') throw new SkiffError('NOT_FOUND', 'this route is for enrolled instances: use the credential skiff agent run received at enrollment');
  return p;
}

export async function enrollRoutes(app: FastifyInstance): Promise<void> {
  const { db, desired } = app.hub;

  app.post<{ Params: { customer: string }; Body: { app: string; uses?: number; expiresInSeconds?: number } }>('/customers/:customer/enroll-tokens', {
    schema: {
      tags: ['instances'],
      summary: "Make an enrollment token for a customer's instances of an app (shown once; it names the sha256 of the app's root.json v1)",
      security: SECURITY,
      params: { type: 'object', required: ['customer'], additionalProperties: false, properties: { customer: NAME } },
      body: {
        type: 'object',
        required: ['app'],
        additionalProperties: false,
        properties: { app: NAME, uses: { type: 'integer', minimum: 1, maximum: 10_000 }, expiresInSeconds: { type: 'integer', minimum: 60, maximum: MAX_EXPIRY_SECONDS } },
      },
    },
  }, async (req, reply) => {
    requireUser(req, 'customer:write', `customer "${req.params.customer}"`);
    const c = await app.hub.access.customer(principalOf(req), req.params.customer);
    const { app: name, uses = 1, expiresInSeconds = 86_400 } = req.body;
    if (!c.entitlements.some((e) => e.app === name))
      throw new SkiffError('NOT_FOUND', `customer "${c.name}" is not entitled to app "${name}": entitle it first (skiff customer entitle)`);
    const [root1] = await db.listRoots(name);
    if (!root1) throw new SkiffError('NOT_FOUND', `app "${name}" not found`);
    const { token, hash } = mintToken('ske_');
    const expiresAt = new Date(Date.now() + expiresInSeconds * 1000).toISOString();
    await mutate(app, req, (tx) => tx.createEnrollToken({ hash, customerId: c.id, app: name, uses, expiresAt }), {
      action: 'instance.enroll-token', target: `customer:${c.name}/app:${name}`, details: { uses, expiresAt },
    });
    const rootSha256 = createHash('sha256').update(root1.root).digest('hex');
    return reply.status(201).send({ token: `${token}.${rootSha256}`, app: name, customer: c.name, uses, expiresAt });
  });

  app.post<{ Body: { token: string; rootSha256?: string; name: string; publicKey: string; facts?: Record<string, string> } }>('/enroll', {
    schema: {
      tags: ['instances'],
      summary: 'Enroll an instance with an enrollment token: records it and returns its credential (shown once) and the root chain',
      body: {
        type: 'object',
        required: ['token', 'name', 'publicKey'],
        additionalProperties: false,
        properties: {
          token: { type: 'string', pattern: '^ske_[A-Za-z0-9_-]{43}$' },
          rootSha256: { type: 'string', pattern: '^[a-f0-9]{64}$' },
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
          publicKey: { type: 'string', minLength: 40, maxLength: 200, pattern: '^[A-Za-z0-9+/]+={0,2}$' },
          facts: FACTS,
        },
      },
    },
  }, async (req, reply) => {
    const { token, name, publicKey, facts = {} } = req.body;
    const refused = new SkiffError('UNAUTHORIZED', 'the enrollment token is unknown, used up or expired: ask the vendor for a new one');
    const known = await db.getEnrollTokenByHash(hashToken(token));
    if (!known) throw refused;
    const customer = await db.getCustomer(known.customerId);
    const [root1] = await db.listRoots(known.app);
    // The agent checks the roots itself; this only spares a use of the token when its root hash is not this hub's.
    if (req.body.rootSha256 !== undefined && root1 && createHash('sha256').update(root1.root).digest('hex') !== req.body.rootSha256)
      throw new SkiffError('TRUST_INVALID', `the enrollment token names another root.json v1 than this hub holds for app "${known.app}": wrong hub, or a mistyped token`);
    const credential = mintToken('ski_');
    const instance = await db.mutate(async (tx) => {
      if (!(await tx.consumeEnrollToken(hashToken(token), new Date()))) throw refused;
      const inst = await tx.createInstance({ customerId: known.customerId, app: known.app, name, publicKey, facts });
      await tx.createToken({ kind: 'instance', hash: credential.hash, name: `instance ${name}`, userId: null, customerId: known.customerId, instanceId: inst.id, scopes: [], expiresAt: null });
      return inst;
    }, (inst) => ({ actor: `enrollment:${customer?.name ?? known.customerId}`, action: 'instance.enroll', target: `instance:${inst.id}`, address: req.ip, details: { name, app: known.app } }));
    const roots = (await db.listRoots(known.app)).map((r) => new TextDecoder().decode(r.root));
    return reply.status(201).send({ instance: instanceView(instance, customer?.name ?? ''), credential: credential.token, roots });
  });

  app.get('/instances/self/desired', { schema: { tags: ['instances'], summary: 'What this instance should run, signed by the app’s timestamp key; 304 when unchanged', security: SECURITY } }, async (req, reply) => {
    const p = instanceOf(req);
    const answer = desired.cached(p, req.generation) ?? (await desired.answer(p, req.generation));
    reply.header(HttpHeader.etag, answer.etag).header('cache-control', 'no-cache');
    const tags = req.headers[HttpHeader.ifNoneMatch];
    if (tags !== undefined && tags.split(',').some((t) => t.trim() === answer.etag)) return reply.code(304).send();
    return answer.body();
  });

  app.post<{ Body: Record<string, unknown> & { currentVersion: string | null; health: string; lastError?: string | null; lastOutage?: Outage | null; failedRelease?: { version: string; at: string; reason: string } | null; metrics?: AgentMetrics | null } }>('/instances/self/status', {
    bodyLimit: 256 * 1024,
    schema: { tags: ['instances'], summary: 'A status report from the instance (after every change and on a heartbeat)', security: SECURITY, body: STATUS_REPORT },
  }, async (req, reply) => {
    const p = instanceOf(req);
    const before = await db.getInstance(p.instanceId);
    const report = req.body;
    await db.reportInstance(p.instanceId, { currentVersion: report.currentVersion, health: report.health, report });
    await db.rollouts.noteReport(p.instanceId, p.app, report.currentVersion, report.failedRelease ?? null);
    if (before) await observeReport(app.hub, before, report);
    const at = new Date().toISOString();
    await addReportEvents(db, p.instanceId, before, report, at);
    // "Install now" is done when the instance runs what it was told, or when its try failed (a new request tries again).
    const tried = report.desiredVersion !== undefined && report.desiredVersion !== null;
    const installed = tried && report.currentVersion === report.desiredVersion;
    const failedAgain = tried && report.failedRelease?.version === report.desiredVersion;
    if (before?.installNow && (installed || failedAgain))
      await mutate(app, req, (tx) => tx.setInstancePolicy(p.instanceId, { installNow: false }), {
        action: installed ? 'instance.install-now.done' : 'instance.install-now.failed',
        target: `instance:${p.instanceId}`,
        ...(failedAgain ? { details: { version: report.failedRelease?.version, reason: report.failedRelease?.reason } } : {}),
      });
    const failed = report.failedRelease;
    const failedBefore = before?.report?.failedRelease as { version?: string; at?: string } | null | undefined;
    if (before && failed && (failed.version !== failedBefore?.version || failed.at !== failedBefore?.at))
      await emitInstanceFailed(db, { ...before, customer: p.customerName }, failed);
    const gap = report.lastOutage;
    if (gap && gap.until !== outageOf(before?.report)?.until) await db.addInstanceEvent(p.instanceId, { at, kind: 'offline', detail: { ...gap } });
    return reply.code(204).send();
  });
}
