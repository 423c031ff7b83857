// Bench rows: a staged rollout to N simulated instances (4 groups of 25%, success threshold 100%, zero soak) against a
// real `skiff hub serve` on SQLite — the time from "rollout started" to "all N committed", and the hub process's CPU
// (user + system, from /proc/<pid>/stat, as process.cpuUsage would count it inside the hub) per instance upgrade.
// The agents poll in rounds, back to back (each round: every agent not yet upgraded polls once). The scheduler's cost
// per tick is timed apart, on the running rollout with all N placed: the reads and decision of one step (planStep, what
// every tick pays even when nothing is due), repeated, from this process on the hub's database; it must stay flat as
// N grows: bench/run.sh runs N = 1,000 and 10,000, and bench/write-results.ts judges the two (bench/lib/tick-flat.ts).
//
//   ROLLOUT_N=1000 node --import tsx bench/rollout.ts      (ROLLOUT_N=10000 for the large fleet)
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { startFleetHub } from './lib/fleet-hub.ts';
import { FleetSim } from './lib/fleet-sim.ts';
import type { ResultRow } from './lib/run.ts';
import { TICK_ROW } from './lib/tick-flat.ts';
import { putPlaceholderRelease } from '../test/helpers/checkin.ts';
import { planStep } from '../src/hub/rollouts.ts';
import type { MetadataDb } from '../src/hub/db/index.ts';

const TICK_MS = 250;
/** Agents enrolled through the API (the rest are seeded into the database, as enrollment writes them). */
const ENROLLED = 50;

const TIMED_TICKS = 200;

/**
 * One scheduler step's reads and decision for the rollout, over TIMED_TICKS runs: median and p95 wall ms, and the median
 * of this process's CPU ms (user + system) per step — SQLite runs in-process, so its queries count; CPU time is what a
 * loaded machine distorts least, and the median leaves out the steps a garbage collection of the simulator's agents hit.
 */
async function tickCost(db: MetadataDb, id: string): Promise<{ medianMs: number; p95Ms: number; cpuMs: number }> {
  const r = await db.rollouts.get(id);
  if (!r) throw new Error(`rollout ${id} not found`);
  await planStep(db, r, new Date());
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < TIMED_TICKS; i++) {
    const t = performance.now();
    const cpu0 = process.cpuUsage();
    await planStep(db, r, new Date());
    const cpu = process.cpuUsage(cpu0);
    ms.push(performance.now() - t);
    cpuMs.push((cpu.user + cpu.system) / 1000);
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  return { medianMs: +median(ms).toFixed(2), p95Ms: +(ms[Math.ceil(ms.length * 0.95) - 1] ?? NaN).toFixed(2), cpuMs: +median(cpuMs).toFixed(3) };
}

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const n = Number(process.env.ROLLOUT_N ?? 1000);
  if (!Number.isInteger(n) || n < 4) throw new Error(`ROLLOUT_N=${process.env.ROLLOUT_N} is not a whole number ≥ 4`);
  const fh = await startFleetHub({ backend: 'sqlite', app: 'rollbench', env: { SKIFF_ROLLOUT_TICK_MS: String(TICK_MS) } });
  try {
    const sim = await FleetSim.enroll({ hub: fh.hub.url, enrollToken: await fh.enrollToken(ENROLLED), count: Math.min(n, ENROLLED), concurrency: 16, verifyShare: 0.01 });
    try {
      const db = await fh.openDb();
      try {
        if (n > ENROLLED) await sim.seed({ db, customer: fh.customer, count: n - ENROLLED });
        await db.mutate((tx) => putPlaceholderRelease(tx, fh.app, '2.0.0'), { actor: 'bench', action: 'bench.release', target: '2.0.0', address: 'local' });
      } finally {
        await db.close();
      }
      await sim.pollAll();
      await fh.api('POST', `/apps/${fh.app}/channels/stable/releases`, { version: '2.0.0', required: false });
      const polls0 = sim.stats.polls;
      const cpu0 = await cpuSeconds(fh.hub.pid);
      const t0 = performance.now();
      const r = await fh.api<{ id: string }>('POST', '/rollouts', { app: fh.app, version: '2.0.0', groups: [{ percent: 25 }, { percent: 25 }, { percent: 25 }, { percent: 25 }] }, 201);
      let rounds = 0;
      for (let left = sim.agents; left.length > 0 && rounds < 10_000; rounds++) {
        await Promise.all(left.map((a) => sim.poll(a)));
        left = left.filter((a) => a.current !== '2.0.0');
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpu = (await cpuSeconds(fh.hub.pid)) - cpu0;
      // A finished rollout is no longer stepped; its reads cost the same as while it ran (all N placed), so they are timed now.
      const tickDb = await fh.openDb();
      const tick = await tickCost(tickDb, r.id).finally(() => tickDb.close());
      // The last reports land just before the scheduler's next tick finishes the rollout: wait for it (bounded).
      let state = '';
      for (let i = 0; i < 40 && state !== 'finished'; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
        state = (await fh.api<{ state: string }>('GET', `/rollouts/${r.id}`)).state;
      }
      const summary = {
        instances: n, groups: 4, soakSeconds: 0, schedulerTickMs: TICK_MS, rounds, rolloutState: state,
        secondsToAllCommitted: +seconds.toFixed(2), hubCpuSeconds: +cpu.toFixed(2), hubCpuMsPerUpgrade: +((cpu * 1000) / n).toFixed(3),
        schedulerTickMedianMs: tick.medianMs, schedulerTickP95Ms: tick.p95Ms, schedulerTickCpuMs: tick.cpuMs, loadAverage: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
        polls: sim.stats.polls - polls0, errors: sim.stats.errors, errorSamples: sim.stats.errorSamples,
      };
      // stdout: the RESULTS.md rows (bench/run.sh collects them; write-results.ts adds the 1,000-vs-10,000 tick row); stderr: the details.
      const rows: ResultRow[] = [
        {
          figure: `rollout to ${n.toLocaleString('en')} simulated instances, 4 groups of 25%, zero soak, SQLite: from started to all committed; hub CPU per upgrade`,
          skiff: `${summary.secondsToAllCommitted} s; ${summary.hubCpuMsPerUpgrade} ms CPU`, peer: '—', ratio: '—', target: '—', met: '—', samples: JSON.stringify(summary),
        },
        {
          figure: `${TICK_ROW} ${n.toLocaleString('en')} instances placed (reads + decision of one step, SQLite)`,
          skiff: `${tick.cpuMs} ms CPU (wall median ${tick.medianMs} ms, p95 ${tick.p95Ms} ms)`, peer: '—', ratio: '—', target: '—', met: '—',
          samples: JSON.stringify({ instances: n, schedulerTickCpuMs: tick.cpuMs, schedulerTickMedianMs: tick.medianMs, schedulerTickP95Ms: tick.p95Ms, ticks: TIMED_TICKS, loadAverage: summary.loadAverage }),
        },
      ];
      for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
      process.stderr.write(`${JSON.stringify(summary)}\n`);
      if (sim.stats.errors > 0 || sim.agents.some((a) => a.current !== '2.0.0')) process.exitCode = 1;
    } finally {
      await sim.close();
    }
  } finally {
    await fh.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`rollout bench: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
