// Charts of what an instance's agent reported over time: CPU, memory and container restarts per service.
import { LineChart, type Series } from '../charts.tsx';
import type { ResponseOf } from '../api.ts';

type History = ResponseOf<'GET', '/instances/:id'>['metricsHistory'];

function seriesOf(history: History, pick: (c: History[number]['metrics']['containers'][number]) => number | null): Series[] {
  const by = new Map<string, Series>();
  for (const h of history)
    for (const c of h.metrics.containers) {
      const v = pick(c);
      if (v === null) continue;
      const s = by.get(c.service) ?? { name: c.service, points: [] };
      s.points.push({ at: h.at, value: v });
      by.set(c.service, s);
    }
  return [...by.values()];
}

const mb = (v: number) => `${Math.round(v / 1_048_576)} MB`;

export function InstanceMetrics({ history }: { history: History }) {
  if (history.length === 0) return <p>No metrics reported yet.</p>;
  return (
    <div className="charts">
      <LineChart title="CPU (% of one core)" series={seriesOf(history, (c) => (c.cpuRatio === null ? null : c.cpuRatio * 100))} format={(v) => `${v.toFixed(1)} %`} />
      <LineChart title="Memory" series={seriesOf(history, (c) => c.memoryBytes)} format={mb} />
      <LineChart title="Container restarts" series={seriesOf(history, (c) => c.restarts)} />
    </div>
  );
}
