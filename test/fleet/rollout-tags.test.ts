// Rollouts targeted by vendor-set instance tags, with the fleet simulator against a real hub process (SQLite and
// PostgreSQL): tags are set and removed through the API (audited), shown on the instance and filter the fleet; a
// rollout naming tags places exactly the instances with all of them, in the stable documented order; a late enroller
// joins the last group only once it matches the target, and waits there like its group.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend, FleetHub } from '../../bench/lib/fleet-hub.ts';
import { FleetSim, type SimAgent } from '../../bench/lib/fleet-sim.ts';
import { assignGroups, groupSizes, orderInstances } from '../../src/fleet/index.ts';
import { SETTLE_MS, addStableRelease, pollEach, readRollout, rolloutMembers, startRolloutFleet, untilRollout } from '../helpers/rollout-fleet.ts';

interface GroupView { group: number; size: number; committed: number; startedAt: string | null }
interface RolloutView { id: string; state: string; target: { tags?: Record<string, string> }; groups: GroupView[] }
interface InstanceView { id: string; tags: Record<string, string> }

for (const backend of ['sqlite', 'postgres'] as const satisfies readonly Backend[]) {
  describe(`rollouts by instance tags (${backend})`, { timeout: 300_000 }, () => {
    let fh: FleetHub;
    let sim: FleetSim;
    let late: FleetSim | undefined;

    const rollout = (id: string) => readRollout<RolloutView>(fh, id);
    const until = (id: string, what: string, ok: (r: RolloutView) => boolean) => untilRollout(fh, id, what, ok);
    const fleetIds = async (query: string): Promise<string[]> =>
      (await fh.api<{ instances: InstanceView[] }>('GET', `/instances?app=${fh.app}&${query}`)).instances.map((i) => i.id).sort();
    const members = (id: string) => rolloutMembers(fh, id);

    before(async () => {
      ({ fh, sim } = await startRolloutFleet({ backend, app: 'rolltags', count: 30, uses: 30, concurrency: 4, verifyShare: 0.1 }));
    });

    after(async () => {
      await sim?.close();
      await late?.close();
      await fh?.stop();
    });

    it('sets, shows, filters and removes tags; bad tags are a 400 naming them and change nothing', async () => {
      const eu = sim.agents.slice(0, 12);
      for (const a of eu) await fh.api('PUT', `/instances/${a.id}/tags`, { tags: { region: 'eu' } });
      for (const a of eu.slice(0, 6)) await fh.api('PATCH', `/instances/${a.id}/tags`, { set: { tier: 'gold' } });
      await fh.api('PUT', `/instances/${sim.agents[12]!.id}/tags`, { tags: { region: 'us', tier: 'gold' } });
      assert.deepEqual((await fh.api<InstanceView>('GET', `/instances/${eu[0]!.id}`)).tags, { region: 'eu', tier: 'gold' });
      assert.deepEqual(await fleetIds('tag=region%3Deu'), eu.map((a) => a.id).sort());
      assert.deepEqual(await fleetIds('tag=region%3Deu&tag=tier%3Dgold'), eu.slice(0, 6).map((a) => a.id).sort());
      // "_" is a LIKE wildcard: a value that differs only there must not match.
      assert.deepEqual(await fleetIds('tag=region%3De_'), []);

      const removed = await fh.api<InstanceView>('PATCH', `/instances/${sim.agents[12]!.id}/tags`, { remove: ['region'] });
      assert.deepEqual(removed.tags, { tier: 'gold' });
      assert.deepEqual(await fleetIds('tag=region%3Dus'), []);

      const bad = await fh.api<{ error: { message: string } }>('GET', `/instances?tag=Region%3DEU`, undefined, 400);
      assert.match(bad.error.message, /query tag "Region=EU" is not a tag: write key=value/);
      const badPut = await fh.api<{ error: { message: string } }>('PUT', `/instances/${eu[0]!.id}/tags`, { tags: { region: 'EU West' } }, 400);
      assert.match(badPut.error.message, /^body\.tags\.region: a tag value is lowercase/);
      const badKey = await fh.api<{ error: { message: string } }>('PATCH', `/instances/${eu[0]!.id}/tags`, { set: { Region: 'eu' }, remove: ['tier'] }, 400);
      assert.match(badKey.error.message, /^body\.set\.Region: a tag key is lowercase/);
      assert.deepEqual((await fh.api<InstanceView>('GET', `/instances/${eu[0]!.id}`)).tags, { region: 'eu', tier: 'gold' }, 'nothing changed');

      const audit = (await fh.api<{ entries: { action: string; target: string }[] }>('GET', '/audit?limit=1000')).entries.filter((e) => e.action === 'instance.tags');
      assert.equal(audit.length, 12 + 6 + 1 + 1);
    });

    it('a rollout naming tags reaches exactly the tagged instances, in the stable order; a late enroller joins once it matches', async () => {
      await addStableRelease(fh, '2.0.0');
      const none = await fh.api<{ error: { message: string } }>('POST', '/rollouts', { app: fh.app, version: '2.0.0', groups: [{ percent: 100 }], tags: { region: 'mars' } }, 400);
      assert.match(none.error.message, /with tags region=mars/);
      await fh.api('POST', '/rollouts', { app: fh.app, version: '2.0.0', groups: [{ percent: 100 }], tags: { Region: 'eu' } }, 400);

      const eu = sim.agents.slice(0, 12);
      const r = await fh.api<RolloutView>('POST', '/rollouts', { app: fh.app, version: '2.0.0', groups: [{ count: 4 }, { percent: 100 }], tags: { region: 'eu' } }, 201);
      assert.deepEqual(r.target.tags, { region: 'eu' });
      assert.deepEqual(r.groups.map((g) => g.size), [4, 8]);
      const placed = await members(r.id);
      const expected = assignGroups(orderInstances(r.id, eu.map((a) => a.id)), groupSizes(12, [{ count: 4 }, { percent: 100 }]));
      assert.deepEqual([...placed.entries()].sort(), expected.flatMap(({ group, ids }) => ids.map((id) => [id, group] as [string, number])).sort(), 'the documented order');
      await until(r.id, 'group 1 starts', (x) => x.groups[0]?.startedAt !== null);
      await sleep(SETTLE_MS);

      // Two enroll while it runs; only the one tagged region=eu joins the last group.
      late = await FleetSim.enroll({ hub: fh.hub.url, enrollToken: await fh.enrollToken(2), count: 2, namePrefix: 'late' });
      const [joiner, stranger] = late.agents as [SimAgent, SimAgent];
      await fh.api('PUT', `/instances/${stranger.id}/tags`, { tags: { region: 'us' } });
      await sleep(SETTLE_MS);
      assert.equal((await rollout(r.id)).groups[1]?.size, 8, 'an instance that does not match stays out');
      await fh.api('PUT', `/instances/${joiner.id}/tags`, { tags: { region: 'eu' } });
      await until(r.id, 'the tagged late enroller joins group 2', (x) => x.groups[1]?.size === 9);
      assert.equal((await members(r.id)).get(joiner.id), 2);
      assert.equal((await members(r.id)).has(stranger.id), false);
      await sleep(SETTLE_MS);

      const g1 = eu.filter((a) => placed.get(a.id) === 1);
      const g2 = eu.filter((a) => placed.get(a.id) === 2);
      await pollEach(sim, g2.slice(0, 2));
      await pollEach(late, [joiner]);
      assert.ok([...g2.slice(0, 2), joiner].every((a) => a.current === '1.0.0' && a.desired?.release?.version === '1.0.0'), 'the waiting group keeps what it runs');
      await pollEach(sim, g1);
      assert.ok(g1.every((a) => a.current === '2.0.0'));
      await until(r.id, 'group 2 starts', (x) => x.groups[1]?.startedAt !== null);
      await sleep(SETTLE_MS);
      await pollEach(sim, g2);
      await pollEach(late, [joiner]);
      const done = await until(r.id, 'the rollout finishes', (x) => x.state === 'finished');
      assert.deepEqual(done.groups.map((g) => g.committed), [4, 9]);
      assert.ok([...eu, joiner].every((a) => a.current === '2.0.0'));
    });
  });
}
