// A staged rollout to 200 simulated instances speaking the real protocol to a real hub process (SQLite), each
// committing or failing by script: groups start exactly when their success threshold is met, a failing group pauses
// the rollout at exactly its error threshold, retry + resume after the fix finishes it, a late enroller joins the last
// group, nobody jumps ahead through the channel, and cancel stops scheduling.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FleetHub } from '../../bench/lib/fleet-hub.ts';
import { FleetSim, type SimAgent } from '../../bench/lib/fleet-sim.ts';
import { SETTLE_MS, addStableRelease, pollEach as pollEachOf, readRollout, rolloutMembers, startRolloutFleet, untilRollout } from '../helpers/rollout-fleet.ts';

interface GroupView { group: number; size: number; committed: number; failed: number; startedAt: string | null }
interface AuditEntry { id: number; action: string; target: string; details: { applied?: { kind: string; group?: number }[] } }
interface RolloutView { id: string; state: string; reason: string | null; groups: GroupView[] }

describe('staged rollout with the fleet simulator', { timeout: 300_000 }, () => {
  let fh: FleetHub;
  let sim: FleetSim;
  /** The late enroller's own simulator (it enrolled while the first rollout ran). */
  let late: FleetSim | undefined;
  const groupOf = new Map<string, number>();

  const rollout = (id: string) => readRollout<RolloutView>(fh, id);
  const until = (id: string, what: string, ok: (r: RolloutView) => boolean) => untilRollout(fh, id, what, ok);
  const inGroup = (g: number): SimAgent[] => sim.agents.filter((a) => groupOf.get(a.id) === g);
  const pollEach = (agents: readonly SimAgent[]) => pollEachOf(sim, agents);
  const addRelease = (version: string) => addStableRelease(fh, version);
  const placeGroups = async (id: string): Promise<void> => {
    for (const [instance, group] of await rolloutMembers(fh, id)) groupOf.set(instance, group);
  };

  before(async () => {
    ({ fh, sim } = await startRolloutFleet({ backend: 'sqlite', app: 'rollsim', count: 200, uses: 250, concurrency: 8, verifyShare: 0.05 }));
  });

  after(async () => {
    await sim?.close();
    await late?.close();
    await fh?.stop();
  });

  it('runs 4 groups: thresholds met exactly, pauses at the error threshold, resumes after the fix and finishes', async () => {
    await addRelease('2.0.0');
    const created = await fh.api<RolloutView>('POST', '/rollouts', {
      app: fh.app, version: '2.0.0', groups: [{ percent: 25 }, { percent: 25 }, { percent: 25 }, { percent: 25 }], successThreshold: 0.5, errorThreshold: 0.1,
    }, 201);
    assert.deepEqual(created.groups.map((g) => g.size), [50, 50, 50, 50]);
    await placeGroups(created.id);
    await until(created.id, 'group 1 starts', (r) => r.groups[0]?.startedAt !== null);
    await sleep(SETTLE_MS);

    // A waiting group keeps what it runs: it does not reach 2.0.0 through the channel.
    await pollEach(inGroup(4).slice(0, 5));
    assert.ok(inGroup(4).every((a) => a.current === '1.0.0' && a.desired?.release?.version === '1.0.0'));

    // 24 of 50 commits: below the success threshold (25); the 25th starts group 2.
    await pollEach(inGroup(1).slice(0, 24));
    await sleep(SETTLE_MS);
    assert.equal((await rollout(created.id)).groups[1]?.startedAt, null, 'group 2 waits at 24 of 50');
    await pollEach(inGroup(1).slice(24, 25));
    await until(created.id, 'group 2 starts at 25 of 50', (r) => r.groups[1]?.startedAt !== null);

    // A late enroller joins the last group (and, like it, waits).
    late = await FleetSim.enroll({ hub: fh.hub.url, enrollToken: await fh.enrollToken(1), count: 1, namePrefix: 'late' });
    const [lateAgent] = late.agents;
    await until(created.id, 'the late enroller joins group 4', (r) => r.groups[3]?.size === 51);
    await sleep(SETTLE_MS);
    await late.poll(lateAgent!);
    assert.equal(lateAgent!.desired?.release?.version, '1.0.0');

    await pollEach([...inGroup(1), ...inGroup(2)]);
    await until(created.id, 'group 3 starts', (r) => r.groups[2]?.startedAt !== null);
    await sleep(SETTLE_MS);

    // Group 3 fails: 5 failures are tolerated (10% of 50), the 6th pauses the rollout.
    sim.script = (index) => (groupOf.get(sim.agents[index]!.id) === 3 ? 'fail' : 'commit');
    const g3 = inGroup(3);
    await pollEach(g3.slice(0, 5));
    await sleep(SETTLE_MS);
    assert.equal((await rollout(created.id)).state, 'running', '5 failures are within the threshold');
    await pollEach(g3.slice(5, 6));
    const paused = await until(created.id, 'the rollout pauses', (r) => r.state === 'paused');
    assert.match(paused.reason ?? '', /^group 3: 6 of 50 instances failed, over the error threshold of 10% \(5 tolerated\)/);
    await sleep(SETTLE_MS);
    assert.equal(paused.groups[3]?.startedAt, null, 'group 4 never started');

    // The fix: the same release now installs; retry the failed ones, resume, and everyone gets there.
    sim.script = () => 'commit';
    const { retried } = await fh.api<{ retried: string[] }>('POST', `/rollouts/${created.id}/retry`, {});
    assert.equal(retried.length, 6);
    await fh.api('POST', `/rollouts/${created.id}/resume`, {});
    await sleep(SETTLE_MS);
    await pollEach(g3);
    assert.ok(g3.every((a) => a.current === '2.0.0'), 'the retried instances installed on "install now"');
    await until(created.id, 'group 4 starts', (r) => r.groups[3]?.startedAt !== null);
    await sleep(SETTLE_MS);
    await pollEach([...sim.agents, lateAgent!].filter((a) => a.current !== '2.0.0').map((a) => a));
    await late.poll(lateAgent!);
    const done = await until(created.id, 'the rollout finishes', (r) => r.state === 'finished');
    assert.deepEqual(done.groups.map((g) => g.failed), [0, 0, 0, 0]);
    assert.ok(sim.agents.every((a) => a.current === '2.0.0') && lateAgent!.current === '2.0.0');

    // Every group started once, by the scheduler, in order.
    const audit: AuditEntry[] = [];
    for (let page: AuditEntry[] = []; audit.length === 0 || page.length === 1000; audit.push(...page))
      page = (await fh.api<{ entries: AuditEntry[] }>('GET', `/audit?limit=1000&after=${audit.at(-1)?.id ?? 0}`)).entries;
    const starts = audit.filter((e) => e.target === `rollout:${created.id}`).flatMap((e) => e.details.applied ?? []).filter((a) => a.kind === 'start-group');
    assert.deepEqual(starts.map((a) => a.group), [1, 2, 3, 4]);
  });

  it('cancel stops scheduling: groups not started keep what they run', async () => {
    await addRelease('3.0.0');
    const r = await fh.api<RolloutView>('POST', '/rollouts', { app: fh.app, version: '3.0.0', groups: [{ count: 20 }, { percent: 100 }] }, 201);
    await placeGroups(r.id);
    await until(r.id, 'group 1 starts', (x) => x.groups[0]?.startedAt !== null);
    await fh.api('POST', `/rollouts/${r.id}/cancel`, { reason: 'a customer reported a regression' });
    await sleep(SETTLE_MS);
    const g1 = sim.agents.filter((a) => groupOf.get(a.id) === 1);
    const g2 = sim.agents.filter((a) => groupOf.get(a.id) === 2);
    await pollEach([...g1, ...g2]);
    await sleep(SETTLE_MS);
    const after = await rollout(r.id);
    assert.equal(after.state, 'cancelled');
    assert.equal(after.groups[1]?.startedAt, null, 'group 2 never starts');
    assert.ok(g1.every((a) => a.current === '3.0.0'), 'the started group finishes its upgrade');
    assert.ok(g2.every((a) => a.current === '2.0.0'), 'the rest stays where it is');
    const again = await fh.api<{ error: { code: string } }>('POST', `/rollouts/${r.id}/resume`, {}, 409);
    assert.equal(again.error.code, 'CONFLICT');
  });

  it('retries a failed instance by policy after its back-off; it counts once and does not pause the rollout', async () => {
    await addRelease('4.0.0');
    const tries = new Map<number, number>();
    sim.script = (index) => {
      tries.set(index, (tries.get(index) ?? 0) + 1);
      return index === 0 && tries.get(index) === 1 ? 'fail' : 'commit';
    };
    const r = await fh.api<RolloutView>('POST', '/rollouts', { app: fh.app, version: '4.0.0', groups: [{ percent: 100 }], retries: 1, backoffSeconds: 1 }, 201);
    await until(r.id, 'group 1 starts', (x) => x.groups[0]?.startedAt !== null);
    await sleep(SETTLE_MS);
    await pollEach(sim.agents);
    await late!.poll(late!.agents[0]!);
    const first = sim.agents[0]!;
    assert.equal(first.failed?.version, '4.0.0', 'the first try failed');
    await sleep(1000 + SETTLE_MS);
    assert.equal((await rollout(r.id)).state, 'running', 'a failure with a retry left does not count against the error threshold');
    await pollEach([first]);
    assert.equal(first.current, '4.0.0', 'the retry ("install now") installed it');
    const done = await until(r.id, 'the rollout finishes', (x) => x.state === 'finished');
    assert.equal(done.groups[0]?.failed, 0);
    assert.equal(tries.get(0), 2);
    sim.script = () => 'commit';
  });
});
