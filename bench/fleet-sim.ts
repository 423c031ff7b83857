// The fleet simulator's command line: enrolls N simulated agents with a hub (given, or one it starts on SQLite or
// PostgreSQL with an app, a release and a customer), lets them poll and report for a while, prints a JSON summary.
//
//   node --import tsx bench/fleet-sim.ts --count 1000 --duration 60 [--start sqlite|postgres]
//   node --import tsx bench/fleet-sim.ts --hub URL --enroll-token ske_….<sha256> --count 1000 --duration 60
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { FleetSim, percentile } from './lib/fleet-sim.ts';
import { startFleetHub, type Backend, type FleetHub } from './lib/fleet-hub.ts';

const USAGE = 'usage: fleet-sim.ts [--hub URL --enroll-token T | --start sqlite|postgres] --count N [--duration S] [--poll-every S] [--jitter F] [--verify F] [--concurrency N] [--prefix NAME]';

function number(value: string | undefined, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${flag} ${value} is not a number ≥ ${min}; ${USAGE}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hub: { type: 'string' },
      'enroll-token': { type: 'string' },
      start: { type: 'string' },
      count: { type: 'string' },
      duration: { type: 'string' },
      'poll-every': { type: 'string' },
      jitter: { type: 'string' },
      verify: { type: 'string' },
      concurrency: { type: 'string' },
      prefix: { type: 'string' },
    },
  });
  const count = number(values.count, 'count', NaN, 1);
  if (Number.isNaN(count)) throw new Error(`--count is required; ${USAGE}`);
  if ((values.hub === undefined) !== (values['enroll-token'] === undefined)) throw new Error(`give --hub and --enroll-token together; ${USAGE}`);
  const start = values.start ?? 'sqlite';
  if (start !== 'sqlite' && start !== 'postgres') throw new Error(`--start ${start} is neither sqlite nor postgres; ${USAGE}`);
  const concurrency = number(values.concurrency, 'concurrency', 32, 1);
  let own: FleetHub | undefined;
  try {
    if (values.hub === undefined) own = await startFleetHub({ backend: start as Backend });
    const hub = values.hub ?? own?.hub.url ?? '';
    const enrollToken = values['enroll-token'] ?? (await own?.enrollToken(count)) ?? '';
    const t0 = performance.now();
    const sim = await FleetSim.enroll({ hub, enrollToken, count, concurrency, verifyShare: number(values.verify, 'verify', 0.1, 0), namePrefix: values.prefix ?? `sim${Date.now().toString(36)}` });
    const enrollSeconds = (performance.now() - t0) / 1000;
    try {
      const pollEvery = values['poll-every'] === undefined ? undefined : number(values['poll-every'], 'poll-every', 30, 0.01) * 1000;
      const stats = await sim.run({ durationMs: number(values.duration, 'duration', 60, 0) * 1000, jitter: number(values.jitter, 'jitter', 0.1, 0), ...(pollEvery ? { pollEveryMs: pollEvery } : {}) });
      const sorted = [...stats.latenciesMs].sort((a, b) => a - b);
      const { latenciesMs: _, ...counts } = stats;
      const summary = { hub, agents: sim.agents.length, enrollSeconds: +enrollSeconds.toFixed(1), ...counts, p50Ms: +percentile(sorted, 50).toFixed(2), p99Ms: +percentile(sorted, 99).toFixed(2) };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (stats.errors > 0) process.exitCode = 1;
    } finally {
      await sim.close();
    }
  } finally {
    await own?.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`fleet-sim: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
