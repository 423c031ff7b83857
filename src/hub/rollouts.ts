// Rollouts at the hub: creating one (its target, its stable group order), the commands a person gives it (pause,
// resume, cancel, retry), and one scheduler step (src/fleet's pure decision applied under the lease, audited).
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { assignGroups, groupSizes, orderInstances, RolloutPlanSchema, scheduleRollout, TagsSchema, canonicalTags, type RolloutAction, type RolloutState } from '../fleet/index.ts';
import { SkiffError } from '../util/index.ts';
import { liveEntitlement } from './access.ts';
import { emitRolloutEvent } from './notify/index.ts';
import type { AuditInput, MetadataDb } from './db/types.ts';
import type { RolloutMember, RolloutRecord, RolloutTarget } from './db/sql-rollouts.ts';

const NAME = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a lowercase name');

export const RolloutCreateSchema = RolloutPlanSchema.extend({
  app: NAME,
  version: z.string().min(1).max(128),
  /** Only instances following this channel (which must hold the release). */
  channel: NAME.optional(),
  /** Only these customers (names). */
  customers: z.array(NAME).min(1).max(10_000).optional(),
  /** Instance ids that form group 1, the canary, before every other. */
  canary: z.array(z.string().min(1).max(64)).max(1000).optional(),
  /** Only instances with every one of these tags (skiff instance tag). */
  tags: TagsSchema.optional(),
}).strict();
export type RolloutCreate = z.infer<typeof RolloutCreateSchema>;

export const RolloutRetrySchema = z.object({ instances: z.array(z.string().min(1).max(64)).min(1).max(100_000).optional() }).strict();
export const RolloutPauseSchema = z.object({ reason: z.string().min(1).max(500).optional() }).strict();

/** Parses a request body with a zod schema; bad input is INVALID_INPUT naming the field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.join('.') || '(body)';
  throw new SkiffError('INVALID_INPUT', `${what}: ${field}: ${issue?.message ?? 'invalid'}; see GET /api/openapi.json or skiff rollout create --help`);
}

/** Customers (ids) whose live entitlement follows a channel holding app@version, within the target. */
export async function reachedCustomers(db: MetadataDb, app: string, version: string, target: RolloutTarget, now: Date): Promise<Set<string>> {
  const reached = new Set<string>();
  const holds = new Map<string, boolean>();
  for (const c of await db.listCustomers()) {
    if (target.customers.length > 0 && !target.customers.includes(c.id)) continue;
    const ent = liveEntitlement(c, app, now);
    if (!ent || (target.channel !== null && ent.channel !== target.channel)) continue;
    if (!holds.has(ent.channel)) holds.set(ent.channel, (await db.getChannel(app, ent.channel))?.releases.some((r) => r.version === version) ?? false);
    if (holds.get(ent.channel)) reached.add(c.id);
  }
  return reached;
}

/** Creates a rollout (running at once) and places every targeted instance in its group; audited as `actor`. */
export async function createRollout(db: MetadataDb, input: RolloutCreate, audit: Omit<AuditInput, 'action' | 'target'>, now = new Date()): Promise<RolloutRecord> {
  const release = await db.getRelease(input.app, input.version);
  if (!release?.visible) throw new SkiffError('NOT_FOUND', `release ${input.app}@${input.version} not found: push it first (skiff release push)`);
  const customers: string[] = [];
  for (const name of input.customers ?? []) {
    const c = await db.getCustomerByName(name);
    if (!c) throw new SkiffError('INVALID_INPUT', `customer "${name}" not found: name customers as skiff customer list shows them`);
    customers.push(c.id);
  }
  const target: RolloutTarget = { channel: input.channel ?? null, customers, ...(input.tags && Object.keys(input.tags).length > 0 ? { tags: canonicalTags(input.tags) } : {}) };
  const reached = await reachedCustomers(db, input.app, input.version, target, now);
  const fleet = (await db.listFleet({ app: input.app, ...(target.tags ? { tags: target.tags } : {}), limit: 10_000_000 })).filter((i) => i.revokedAt === null && reached.has(i.customerId));
  if (fleet.length === 0)
    throw new SkiffError('INVALID_INPUT', `no instance of ${input.app} follows a channel holding ${input.version}${input.channel ? ` (channel ${input.channel})` : ''}${target.tags ? ` with tags ${Object.entries(target.tags).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}: promote the release first (skiff channel promote)${target.tags ? ' or tag instances (skiff instance tag)' : ''}`);
  const canary = input.canary ?? [];
  const outside = canary.find((id) => !fleet.some((i) => i.id === id));
  if (outside) throw new SkiffError('INVALID_INPUT', `canary instance ${outside} is not among the rollout's instances: give ids from skiff fleet list`);
  const { app, version, channel: _c, customers: _n, canary: _k, tags: _t, ...plan } = input;
  const id = randomUUID();
  const current = new Map(fleet.map((i) => [i.id, i.currentVersion]));
  const ordered = orderInstances(id, fleet.map((i) => i.id), canary);
  const sizes = groupSizes(ordered.length, plan.groups, canary.length);
  const members: RolloutMember[] = assignGroups(ordered, sizes).flatMap(({ group, ids }) =>
    ids.map((instanceId) => ({ instanceId, group, state: current.get(instanceId) === version ? ('committed' as const) : ('pending' as const) })));
  const rec: Omit<RolloutRecord, 'updatedAt'> = { id, app, version, digest: release.digest, target, plan, state: 'running', reason: null, createdBy: audit.actor, createdAt: now.toISOString() };
  await db.mutate(async () => {
    const busy = await db.rollouts.list({ app, states: ['running', 'paused'], limit: 1 });
    if (busy[0]) throw new SkiffError('CONFLICT', `rollout ${busy[0].id} of ${app}@${busy[0].version} is ${busy[0].state}: cancel it (skiff rollout cancel) before starting another`);
    await db.rollouts.create(rec, sizes.length, members);
    await emitRolloutEvent(db, 'rollout.started', { id, app, version, instances: members.length, groups: sizes });
  }, { ...audit, action: 'rollout.create', target: `rollout:${id}`, details: { app, version, instances: members.length, groups: sizes } });
  return { ...rec, updatedAt: rec.createdAt };
}

/** Which states a person's command moves a rollout from, and to. */
const COMMANDS = {
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: ['running', 'paused'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly RolloutState[]; to: RolloutState }>;

export type RolloutCommand = keyof typeof COMMANDS;

/** Pause, resume (which also passes the gates of groups that are done) or cancel; CONFLICT from any other state. */
export async function commandRollout(db: MetadataDb, id: string, command: RolloutCommand, audit: Omit<AuditInput, 'action' | 'target'>, reason?: string): Promise<RolloutRecord> {
  const { from, to } = COMMANDS[command];
  await db.mutate(async () => {
    const r = await db.rollouts.get(id);
    if (!r) throw new SkiffError('NOT_FOUND', `rollout ${id} not found`);
    const why = command === 'resume' ? null : (reason ?? `${command}d by ${audit.actor}`);
    if (!(await db.rollouts.transition(id, from, to, why, new Date().toISOString())))
      throw new SkiffError('CONFLICT', `rollout ${id} is ${r.state}; only a ${from.join(' or ')} rollout can be ${command === 'cancel' ? 'cancelled' : `${command}d`}`);
    if (command === 'resume') await db.rollouts.approveGates(id);
    if (command === 'pause') await emitRolloutEvent(db, 'rollout.paused', { id, app: r.app, version: r.version, reason: why });
  }, { ...audit, action: `rollout.${command}`, target: `rollout:${id}`, ...(reason ? { details: { reason } } : {}) });
  return (await db.rollouts.get(id)) as RolloutRecord;
}

/** Tries failed instances again (all, or those named): each is told to install now, once more. */
export async function retryRollout(db: MetadataDb, id: string, instances: readonly string[] | undefined, audit: Omit<AuditInput, 'action' | 'target'>): Promise<string[]> {
  return db.mutate(async (tx) => {
    const r = await db.rollouts.get(id);
    if (!r) throw new SkiffError('NOT_FOUND', `rollout ${id} not found`);
    if (r.state === 'cancelled' || r.state === 'finished') throw new SkiffError('CONFLICT', `rollout ${id} is ${r.state}: start a new rollout instead`);
    const retried = await db.rollouts.retry(id, instances ?? 'all-failed', false);
    for (const instanceId of retried) await tx.setInstancePolicy(instanceId, { installNow: true });
    return retried;
  }, (retried) => ({ ...audit, action: 'rollout.retry', target: `rollout:${id}`, details: { instances: retried.length } }));
}

/** What one scheduler step reads and decides (every tick pays this, also when nothing is due; bench/rollout.ts times it). */
export async function planStep(db: MetadataDb, r: RolloutRecord, now: Date): Promise<{ joiners: { id: string; currentVersion: string | null }[]; last: number; actions: RolloutAction[] }> {
  // Each read is O(groups) or O(what changed): the groups' counters, the instances enrolled since the rollout began, the
  // failed ones; the customers are read only when someone new enrolled, and retries are looked for only while it runs.
  const unplaced = await db.rollouts.unplaced(r, r.createdAt);
  const reached = unplaced.length > 0 ? await reachedCustomers(db, r.app, r.version, r.target, now) : new Set<string>();
  const joiners = unplaced.filter((i) => reached.has(i.customerId));
  const progress = await db.rollouts.progress(r.id, r.plan.retries);
  const candidates = r.state === 'running' ? await db.rollouts.retryCandidates(r.id, r.plan.retries) : [];
  return { joiners, last: progress.at(-1)?.group ?? 1, actions: scheduleRollout({ state: r.state, plan: r.plan, groups: progress, retryCandidates: candidates, now }) };
}

/** A step's outcome: what it applied (for the audit log and the caller). */
export interface StepResult {
  readonly joined: number;
  readonly applied: readonly RolloutAction[];
}

/**
 * One scheduler step of one rollout: late enrollers join the last group, then the pure scheduler's actions are applied
 * in one audited transaction that first checks this replica still holds the lease (a lapsed one changes nothing).
 */
export async function stepRollout(db: MetadataDb, r: RolloutRecord, holder: string, now: Date): Promise<StepResult> {
  const { joiners, last, actions } = await planStep(db, r, now);
  if (joiners.length === 0 && actions.length === 0) return { joined: 0, applied: [] };
  return db.mutate(async (tx) => {
    if (!(await db.rollouts.holdsLease(holder, Date.now()))) throw new SkiffError('CONFLICT', `the scheduler's lease lapsed for ${holder}: another replica schedules now`);
    await db.rollouts.place(r.id, joiners.map((i) => ({ instanceId: i.id, group: last, state: i.currentVersion === r.version ? 'committed' : 'pending' })));
    // A person may have paused or cancelled the rollout since it was read: then nothing more starts.
    const running = (await db.rollouts.get(r.id))?.state === 'running';
    const at = now.toISOString();
    const applied: RolloutAction[] = [];
    for (const a of running ? actions : []) {
      let done = false;
      if (a.kind === 'start-group') done = await db.rollouts.startGroup(r.id, a.group, at);
      else if (a.kind === 'group-succeeded') done = await db.rollouts.groupSucceeded(r.id, a.group, at);
      else if (a.kind === 'pause') {
        done = await db.rollouts.transition(r.id, ['running'], 'paused', a.reason, at);
        if (done) await emitRolloutEvent(db, 'rollout.paused', { id: r.id, app: r.app, version: r.version, reason: a.reason });
      } else if (a.kind === 'finish') {
        done = await db.rollouts.transition(r.id, ['running'], 'finished', null, at);
        if (done) await emitRolloutEvent(db, 'rollout.finished', { id: r.id, app: r.app, version: r.version });
      }
      else if ((await db.rollouts.retry(r.id, [a.instanceId], true)).length === 1) done = await tx.setInstancePolicy(a.instanceId, { installNow: true });
      if (done) applied.push(a);
    }
    return { joined: joiners.length, applied };
  }, (res) => ({ actor: `scheduler:${holder}`, action: 'rollout.step', target: `rollout:${r.id}`, address: 'hub', details: { joined: res.joined, applied: res.applied } }));
}
