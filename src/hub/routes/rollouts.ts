// /rollouts: create, list, show (each group's progress), pause, resume, cancel and retry a staged rollout. Vendor
// users only (reads need `read`, changes `channel:write`); every change is audited; bodies are checked with zod.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ROLLOUT_STATES, type RolloutState } from '../../fleet/index.ts';
import { actorOf } from '../auth/principal.ts';
import { notFound, requireUser } from '../context.ts';
import type { MetadataDb } from '../db/types.ts';
import type { RolloutRecord } from '../db/sql-rollouts.ts';
import { commandRollout, createRollout, parseBody, retryRollout, RolloutCreateSchema, RolloutPauseSchema, RolloutRetrySchema, type RolloutCommand } from '../rollouts.ts';
import { NAME, SECURITY, UUID } from '../schemas.ts';

const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: UUID } } as const;
const BODY = (description: string) => ({ type: 'object', description }) as const;

/** A rollout with each group's progress. */
export async function rolloutView(db: MetadataDb, r: RolloutRecord) {
  const groups = await db.rollouts.progress(r.id, r.plan.retries);
  return { ...r, groups: groups.map((g) => ({ ...g, pending: g.size - g.committed - g.failed })) };
}

const auditOf = (req: FastifyRequest) => ({ actor: actorOf(req.principal), address: req.ip });

export async function rolloutRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app.hub;
  const find = async (id: string): Promise<RolloutRecord> => {
    const r = await db.rollouts.get(id);
    if (!r) throw notFound(`rollout ${id}`);
    return r;
  };

  app.post<{ Body: unknown }>('/rollouts', {
    schema: {
      tags: ['rollouts'],
      summary: 'Start a staged rollout of a release',
      security: SECURITY,
      body: BODY('{ app, version, groups: [{count}|{percent}], successThreshold?, errorThreshold?, soakSeconds?, gates?, windows?, retries?, backoffSeconds?, channel?, customers?, canary? }'),
    },
  }, async (req, reply) => {
    requireUser(req, 'channel:write', 'rollouts');
    const input = parseBody(RolloutCreateSchema, req.body, 'rollout');
    const r = await createRollout(db, input, auditOf(req));
    return reply.code(201).send(await rolloutView(db, r));
  });

  app.get<{ Querystring: { app?: string; state?: RolloutState } }>('/rollouts', {
    schema: {
      tags: ['rollouts'],
      summary: 'Rollouts, newest first',
      security: SECURITY,
      querystring: { type: 'object', additionalProperties: false, properties: { app: NAME, state: { type: 'string', enum: ROLLOUT_STATES } } },
    },
  }, async (req) => {
    requireUser(req, 'read', 'rollouts');
    const list = await db.rollouts.list({ ...(req.query.app ? { app: req.query.app } : {}), ...(req.query.state ? { states: [req.query.state] } : {}) });
    return { rollouts: await Promise.all(list.map((r) => rolloutView(db, r))) };
  });

  app.get<{ Params: { id: string } }>('/rollouts/:id', {
    schema: { tags: ['rollouts'], summary: "A rollout and each group's progress", security: SECURITY, params: idParams },
  }, async (req) => {
    requireUser(req, 'read', `rollout ${req.params.id}`);
    return rolloutView(db, await find(req.params.id));
  });

  const command = (name: RolloutCommand, summary: string): void => {
    app.post<{ Params: { id: string }; Body: unknown }>(`/rollouts/:id/${name}`, {
      schema: { tags: ['rollouts'], summary, security: SECURITY, params: idParams, body: BODY(name === 'resume' ? '{}' : '{ reason? }') },
    }, async (req) => {
      requireUser(req, 'channel:write', `rollout ${req.params.id}`);
      const { reason } = parseBody(name === 'resume' ? RolloutPauseSchema.pick({}) : RolloutPauseSchema, req.body, name);
      return rolloutView(db, await commandRollout(db, req.params.id, name, auditOf(req), reason));
    });
  };
  command('pause', 'Pause a running rollout: no group starts, no retry runs');
  command('resume', 'Resume a paused rollout (passing the gates of groups that are done)');
  command('cancel', 'Cancel a rollout: nothing more is scheduled; upgrades under way finish or roll back');

  app.post<{ Params: { id: string }; Body: unknown }>('/rollouts/:id/retry', {
    schema: { tags: ['rollouts'], summary: 'Try failed instances again (all, or those named)', security: SECURITY, params: idParams, body: BODY('{ instances?: [instance id] }') },
  }, async (req) => {
    requireUser(req, 'channel:write', `rollout ${req.params.id}`);
    const { instances } = parseBody(RolloutRetrySchema, req.body, 'retry');
    const retried = await retryRollout(db, req.params.id, instances, auditOf(req));
    return { retried, rollout: await rolloutView(db, await find(req.params.id)) };
  });
}
