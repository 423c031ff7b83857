// Exactly one rollout scheduler across two hub replicas on PostgreSQL: the lease holder is killed (SIGKILL) mid-rollout,
// the other replica takes the lease over and finishes the rollout; no group is started twice and no simulated instance
// is told two different releases (never back from the new one). The simulated fleet reaches the replicas through one
// address, as through a load balancer, switched to the survivor when the other dies.
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFleetHub, type FleetHub } from '../../bench/lib/fleet-hub.ts';
import { FleetSim, type SimAgent } from '../../bench/lib/fleet-sim.ts';
import { putPlaceholderRelease } from '../helpers/checkin.ts';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.ts';

interface RolloutView { id: string; state: string; groups: { group: number; startedAt: string | null }[] }
interface AuditEntry { id: number; actor: string; action: string; target: string; details: { applied?: { kind: string; group?: number }[] } }

const ENV = { SKIFF_ROLLOUT_TICK_MS: '100', SKIFF_ROLLOUT_LEASE_MS: '1500' };

/** A TCP relay to whichever replica `target` names now. */
async function balancer(target: () => number): Promise<{ url: string; server: Server }> {
  const server = createServer((client) => {
    const upstream = connect(target(), '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = (): void => void (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server };
}

const portOf = (url: string): number => Number(new URL(url).port);

describe('rollout scheduler across two replicas on PostgreSQL', { timeout: 300_000 }, () => {
  let fh: FleetHub;
  let second: HubProcess;
  let lb: { url: string; server: Server };
  let sim: FleetSim;
  let live: HubProcess;
  const told = new Map<string, string[]>();

  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown, status?: number): Promise<T> => {
    const res = await fetch(`${lb.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${fh.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (status !== undefined ? res.status !== status : res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const poll = async (agents: readonly SimAgent[]): Promise<void> => {
    for (const a of agents) {
      await sim.poll(a);
      const v = a.desired?.release?.version;
      const seen = told.get(a.id) ?? [];
      if (v && seen.at(-1) !== v) told.set(a.id, [...seen, v]);
    }
  };
  const until = async (id: string, what: string, ok: (r: RolloutView) => boolean): Promise<RolloutView> => {
    for (let i = 0; i < 150; i++) {
      const r = await api<RolloutView>('GET', `/rollouts/${id}`);
      if (ok(r)) return r;
      await sleep(100);
    }
    throw new Error(`${what} did not happen`);
  };
  const audit = async (): Promise<AuditEntry[]> => {
    const all: AuditEntry[] = [];
    for (let page: AuditEntry[] = []; all.length === 0 || page.length === 1000; all.push(...page))
      page = (await api<{ entries: AuditEntry[] }>('GET', `/audit?limit=1000&after=${all.at(-1)?.id ?? 0}`)).entries;
    return all;
  };

  before(async () => {
    fh = await startFleetHub({ backend: 'postgres', app: 'rollrep', env: ENV });
    second = await startHubProcess({ ...fh.data, env: ENV });
    live = fh.hub;
    lb = await balancer(() => portOf(live.url));
    sim = await FleetSim.enroll({ hub: lb.url, enrollToken: await fh.enrollToken(100), count: 100, concurrency: 8 });
    await poll(sim.agents);
  });

  after(async () => {
    await sim?.close();
    lb?.server.close();
    await second?.stop();
    await fh?.stop();
  });

  it('the survivor takes the lease over; no group starts twice; no instance is told two releases', async () => {
    const db = await fh.openDb();
    try {
      await db.mutate((tx) => putPlaceholderRelease(tx, fh.app, '2.0.0'), { actor: 'test', action: 'test.release', target: '2.0.0', address: 'local' });
    } finally {
      await db.close();
    }
    await api('POST', `/apps/${fh.app}/channels/stable/releases`, { version: '2.0.0', required: false });
    const r = await api<RolloutView>('POST', '/rollouts', { app: fh.app, version: '2.0.0', groups: [{ percent: 25 }, { percent: 25 }, { percent: 25 }, { percent: 25 }] }, 201);
    const members = await (async () => {
      const d = await fh.openDb();
      try {
        return new Map((await d.rollouts.members(r.id)).map((m) => [m.instanceId, m.group]));
      } finally {
        await d.close();
      }
    })();
    const group = (g: number) => sim.agents.filter((a) => members.get(a.id) === g);
    await until(r.id, 'group 1 starts', (x) => x.groups[0]?.startedAt !== null);
    await sleep(300);
    await poll(sim.agents);
    await until(r.id, 'group 2 starts', (x) => x.groups[1]?.startedAt !== null);
    await sleep(300);
    await poll(group(2).slice(0, 10));

    // Kill the replica that holds the lease, mid-rollout; the fleet's address now reaches the other.
    const steps = (await audit()).filter((e) => e.action === 'rollout.step');
    const holderPid = Number(/^scheduler:[^/]+\/(\d+)\//.exec(steps.at(-1)?.actor ?? '')?.[1]);
    const [killed, survivor] = holderPid === fh.hub.pid ? [fh.hub, second] : [second, fh.hub];
    assert.equal(killed.pid, holderPid, 'the lease holder is one of the two replicas');
    await killed.kill();
    live = survivor;

    for (let round = 0; round < 50; round++) {
      await poll(sim.agents.filter((a) => a.current !== '2.0.0'));
      if ((await api<RolloutView>('GET', `/rollouts/${r.id}`)).state === 'finished') break;
      await sleep(300);
    }
    const done = await until(r.id, 'the rollout finishes', (x) => x.state === 'finished');
    assert.ok(done.groups.every((g) => g.startedAt !== null));
    assert.ok(sim.agents.every((a) => a.current === '2.0.0'));

    const starts = (await audit()).filter((e) => e.target === `rollout:${r.id}`).flatMap((e) => (e.details.applied ?? []).filter((a) => a.kind === 'start-group').map((a) => ({ group: a.group, actor: e.actor })));
    assert.deepEqual(starts.map((s) => s.group), [1, 2, 3, 4], 'each group started once, in order');
    assert.ok(starts.slice(2).every((s) => s.actor.includes(`/${survivor.pid}/`)), `the survivor started groups 3 and 4: ${JSON.stringify(starts)}`);
    const db2 = await fh.openDb();
    try {
      const { stored, recounted } = await db2.rollouts.counts(r.id);
      assert.deepEqual(stored, recounted, 'the group counters the survivor kept equal a recount of the members');
    } finally {
      await db2.close();
    }
    for (const [id, versions] of told) assert.ok(versions.length <= 2 && (versions.length === 1 || (versions[0] === '1.0.0' && versions[1] === '2.0.0')), `instance ${id} was told ${versions.join(' then ')}`);
  });
});
