// The set-up the rollout tests share (test/fleet/rollout-sim.test.ts, rollout-tags.test.ts): a real hub process whose
// rollout scheduler ticks fast, a simulated fleet enrolled and on 1.0.0, releases put on the stable channel, and reads
// of a rollout and its members.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFleetHub, type Backend, type FleetHub } from '../../bench/lib/fleet-hub.ts';
import { FleetSim, type SimAgent } from '../../bench/lib/fleet-sim.ts';
import { putPlaceholderRelease } from './checkin.ts';

export const TICK_MS = 100;
/** Past one tick, and past the hub's bounded staleness of read-only answers (100 ms). */
export const SETTLE_MS = 5 * TICK_MS;

export interface RolloutFleetOptions {
  readonly backend: Backend;
  readonly app: string;
  readonly count: number;
  /** Enrollment token uses: `count` and room for late enrollers. */
  readonly uses: number;
  readonly concurrency: number;
  readonly verifyShare: number;
}

/** Starts the hub and enrolls `count` simulated instances, each polled once onto 1.0.0. */
export async function startRolloutFleet(o: RolloutFleetOptions): Promise<{ fh: FleetHub; sim: FleetSim }> {
  const fh = await startFleetHub({ backend: o.backend, app: o.app, env: { SKIFF_ROLLOUT_TICK_MS: String(TICK_MS) } });
  try {
    const sim = await FleetSim.enroll({ hub: fh.hub.url, enrollToken: await fh.enrollToken(o.uses), count: o.count, concurrency: o.concurrency, verifyShare: o.verifyShare });
    await sim.pollAll();
    assert.ok(sim.agents.every((a) => a.current === '1.0.0'));
    return { fh, sim };
  } catch (e) {
    await fh.stop();
    throw e;
  }
}

/** Puts a placeholder release `version` in the hub's database and on the stable channel. */
export async function addStableRelease(fh: FleetHub, version: string): Promise<void> {
  const db = await fh.openDb();
  try {
    await db.mutate((tx) => putPlaceholderRelease(tx, fh.app, version), { actor: 'test', action: 'test.release', target: version, address: 'local' });
  } finally {
    await db.close();
  }
  await fh.api('POST', `/apps/${fh.app}/channels/stable/releases`, { version, required: false });
}

/** The group of each member of rollout `id`, by instance id, as the hub's database holds it. */
export async function rolloutMembers(fh: FleetHub, id: string): Promise<Map<string, number>> {
  const db = await fh.openDb();
  try {
    return new Map((await db.rollouts.members(id)).map((m) => [m.instanceId, m.group]));
  } finally {
    await db.close();
  }
}

/** Rollout `id` as GET /rollouts/:id answers. */
export const readRollout = <R>(fh: FleetHub, id: string): Promise<R> => fh.api<R>('GET', `/rollouts/${id}`);

/** Reads rollout `id` every tick until `ok` holds of it; fails naming `what` after 100 ticks. */
export async function untilRollout<R>(fh: FleetHub, id: string, what: string, ok: (r: R) => boolean): Promise<R> {
  for (let i = 0; i < 100; i++) {
    const r = await readRollout<R>(fh, id);
    if (ok(r)) return r;
    await sleep(TICK_MS);
  }
  throw new Error(`rollout ${id}: ${what} did not happen: ${JSON.stringify(await readRollout(fh, id))}`);
}

/** Polls each agent once, one after another. */
export async function pollEach(sim: FleetSim, agents: readonly SimAgent[]): Promise<void> {
  for (const a of agents) await sim.poll(a);
}
