// The scheduler's cost per tick must stay flat as the fleet grows: from bench/rollout.ts's tick rows at 1,000 and 10,000
// instances (CPU per step), the row that judges it.
import type { ResultRow } from './run.ts';

/** How bench/rollout.ts's tick rows begin (followed by the fleet size). */
export const TICK_ROW = 'rollout scheduler tick with';

/** How much dearer a tick may be at 10,000 instances than at 1,000 and still count as flat. */
export const FLAT_FACTOR = 1.5;

/** The 10,000-vs-1,000 tick row, or null when the run lacks one of the two sizes. */
export function tickFlatRow(rows: readonly ResultRow[]): ResultRow | null {
  const cpuAt = (n: number): number | undefined => {
    for (const r of rows) {
      if (!r.figure.startsWith(TICK_ROW) || !r.samples) continue;
      const s = JSON.parse(r.samples) as { instances?: number; schedulerTickCpuMs?: number };
      if (s.instances === n && typeof s.schedulerTickCpuMs === 'number') return s.schedulerTickCpuMs;
    }
    return undefined;
  };
  const small = cpuAt(1000);
  const large = cpuAt(10_000);
  if (small === undefined || large === undefined) return null;
  const ratio = large / small;
  return {
    figure: 'rollout scheduler tick, 10,000 vs 1,000 instances placed (CPU per step, SQLite)',
    skiff: `${large} ms at 10,000`, peer: `${small} ms at 1,000`, ratio: `${ratio.toFixed(2)}×`,
    target: `flat: 10,000 within ${FLAT_FACTOR}× of 1,000`, met: ratio <= FLAT_FACTOR ? 'yes' : 'no',
    samples: JSON.stringify({ cpuMsAt1000: small, cpuMsAt10000: large }),
  };
}
