// The counters on each rollout group (members, committed, failed with no retry left), which the scheduler reads instead
// of counting every member, stay exact: a 200-instance simulated rollout on SQLite and on PostgreSQL with first-try
// failures retried by policy, failures that never recover, a late enroller, reports arriving concurrently, and the hub
// killed (SIGKILL) mid-rollout and started again; after every round the stored counters equal a recount of the members.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFleetHub, type Backend, type FleetHub } from '../../bench/lib/fleet-hub.ts';
import { FleetSim, forEachBounded, type SimAgent } from '../../bench/lib/fleet-sim.ts';
import { putPlaceholderRelease } from '../helpers/checkin.ts';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.ts';

interface RolloutView { id: string; state: string; reason: string | null; groups: { group: number; size: number; committed: number; failed: number; startedAt: string | null }[] }

const ENV = { SKIFF_ROLLOUT_TICK_MS: '100', SKIFF_ROLLOUT_LEASE_MS: '1500' };
const ENROLLED = 20;
const SEEDED = 180;
/** Agents whose first try fails (a retry by policy commits them), and agents whose every try fails. */
const failsOnce = (index: number): boolean => index % 10 === 3;
const failsAlways = (index: number): boolean => index % 40 === 7;

for (const backend of ['sqlite', 'postgres'] as const satisfies readonly Backend[]) {
  describe(`rollout group counters on ${backend}`, { timeout: 300_000 }, () => {
    let fh: FleetHub;
    let sim: FleetSim;
    let late: FleetSim | undefined;
    let restarted: HubProcess | undefined;

    const checkCounts = async (id: string, when: string): Promise<void> => {
      const db = await fh.openDb();
      try {
        const { stored, recounted } = await db.rollouts.counts(id);
        assert.deepEqual(stored, recounted, `${when}: the stored counters equal a recount`);
      } finally {
        await db.close();
      }
    };

    before(async () => {
      fh = await startFleetHub({ backend, app: `rollcount${backend === 'sqlite' ? 'lite' : 'pg'}`, env: ENV });
      sim = await FleetSim.enroll({ hub: fh.hub.url, enrollToken: await fh.enrollToken(ENROLLED), count: ENROLLED, concurrency: 8, verifyShare: 0.05 });
      const db = await fh.openDb();
      try {
        await sim.seed({ db, customer: fh.customer, count: SEEDED });
        await db.mutate((tx) => putPlaceholderRelease(tx, fh.app, '2.0.0'), { actor: 'test', action: 'test.release', target: '2.0.0', address: 'local' });
      } finally {
        await db.close();
      }
      await sim.pollAll();
      assert.ok(sim.agents.every((a) => a.current === '1.0.0'));
    });

    after(async () => {
      await sim?.close();
      await late?.close();
      await restarted?.stop();
      await fh?.stop();
    });

    it('the counters equal a recount through failures, retries, a late enroller, concurrent reports and a killed hub', async () => {
      await fh.api('POST', `/apps/${fh.app}/channels/stable/releases`, { version: '2.0.0', required: false });
      const tries = new Map<number, number>();
      sim.script = (index) => {
        const n = (tries.get(index) ?? 0) + 1;
        tries.set(index, n);
        return failsAlways(index) || (failsOnce(index) && n === 1) ? 'fail' : 'commit';
      };
      const r = await fh.api<RolloutView>('POST', '/rollouts', {
        app: fh.app, version: '2.0.0', groups: [{ percent: 25 }, { percent: 25 }, { percent: 25 }, { percent: 25 }], successThreshold: 0.8, errorThreshold: 0.1, retries: 1, backoffSeconds: 1,
      }, 201);
      await checkCounts(r.id, 'at creation');
      late = await FleetSim.enroll({ hub: fh.hub.url, enrollToken: await fh.enrollToken(1), count: 1, namePrefix: 'late' });
      const everyone = (): SimAgent[] => [...sim.agents, ...(late?.agents ?? [])];
      const simOf = (a: SimAgent): FleetSim => (late?.agents.includes(a) ? late : sim);

      let killedAt = -1;
      let view = await fh.api<RolloutView>('GET', `/rollouts/${r.id}`);
      for (let round = 0; round < 60 && view.state === 'running'; round++) {
        // Every agent not on the release polls at once (bounded): their reports reach the hub concurrently.
        await forEachBounded(everyone().filter((a) => a.current !== '2.0.0'), 16, async (a) => void (await simOf(a).poll(a)));
        await checkCounts(r.id, `round ${round}`);
        view = await fh.api<RolloutView>('GET', `/rollouts/${r.id}`);
        if (killedAt < 0 && view.groups[1]?.startedAt) {
          // The hub (the scheduler's lease holder) dies mid-rollout and starts again on the same address.
          const port = Number(new URL(fh.hub.url).port);
          await fh.hub.kill();
          restarted = await startHubProcess({ ...fh.data, port, env: ENV });
          killedAt = round;
          await checkCounts(r.id, 'after the restart');
        }
        await sleep(300);
        view = await fh.api<RolloutView>('GET', `/rollouts/${r.id}`);
      }
      assert.ok(killedAt >= 0, 'the hub was killed mid-rollout');
      assert.equal(view.state, 'finished', `the rollout finished: ${JSON.stringify(view)}`);
      // A report lost to the kill is sent again (as the agent's next heartbeat would): repeated reports change nothing.
      await sim.reportAll();
      await late.reportAll();
      await checkCounts(r.id, 'at the end');
      view = await fh.api<RolloutView>('GET', `/rollouts/${r.id}`);

      // The counters say what the agents did: committed = those running the release; failed = those whose retry failed
      // too (a failure with its retry still due when the rollout finished is not counted); the late enroller is in group 4.
      const db = await fh.openDb();
      try {
        const members = await db.rollouts.members(r.id);
        assert.equal(members.length, SEEDED + ENROLLED + 1);
        assert.equal(members.find((m) => m.instanceId === late?.agents[0]?.id)?.group, 4);
        assert.equal(view.groups.reduce((s, g) => s + g.committed, 0), everyone().filter((a) => a.current === '2.0.0').length);
        const gaveUp = new Set(sim.agents.filter((a) => a.current !== '2.0.0' && tries.get(a.index) === 2).map((a) => a.id));
        assert.deepEqual(view.groups.map((g) => g.failed), [1, 2, 3, 4].map((g) => members.filter((m) => m.group === g && gaveUp.has(m.instanceId)).length));
        assert.ok(sim.agents.some((a) => failsOnce(a.index) && !failsAlways(a.index) && a.current === '2.0.0' && tries.get(a.index) === 2), 'a first-try failure was retried by policy and committed');
      } finally {
        await db.close();
      }
    });
  });
}
