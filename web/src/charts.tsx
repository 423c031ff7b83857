// Small SVG charts (no chart library): bars by label, and lines over time. Each is an image with a text alternative.
export function BarChart({ title, rows, unit = '' }: { title: string; rows: [string, number][]; unit?: string }) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const alt = rows.length ? rows.map(([l, n]) => `${l}: ${n}${unit}`).join(', ') : 'no data';
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 300 ${Math.max(1, rows.length) * 22}`} role="img" aria-label={`${title}: ${alt}`}>
        {rows.map(([label, n], k) => (
          <g key={label} transform={`translate(0 ${k * 22})`}>
            <text x="0" y="15" className="label">
              {label}
            </text>
            <rect x="110" y="3" height="16" width={(150 * n) / max} className="bar" />
            <text x={116 + (150 * n) / max} y="15" className="label">
              {n}
              {unit}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

export interface Series {
  name: string;
  points: { at: string; value: number }[];
}

/** Series colours are classes (series-0 … series-4): the Content-Security-Policy allows no inline styles. */
const COLORS = 5;

/** Lines over time, one per series, with the largest value and the time span as axis labels. */
export function LineChart({ title, series, format = (v: number) => String(v) }: { title: string; series: Series[]; format?: (v: number) => string }) {
  const all = series.flatMap((s) => s.points);
  const times = all.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const max = Math.max(0, ...all.map((p) => p.value)) || 1;
  const x = (at: string) => 40 + (t1 > t0 ? ((Date.parse(at) - t0) / (t1 - t0)) * 250 : 125);
  const y = (v: number) => 90 - (v / max) * 80;
  const latest = series.map((s) => `${s.name} ${s.points.length ? format(s.points.at(-1)!.value) : 'none'}`).join(', ');
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox="0 0 300 110" role="img" aria-label={all.length ? `${title}, latest: ${latest}` : `${title}: no data yet`}>
        <line x1="40" y1="90" x2="290" y2="90" className="axis" />
        <text x="0" y="14" className="label">
          {format(max)}
        </text>
        <text x="0" y="92" className="label">
          0
        </text>
        {all.length > 0 && (
          <text x="40" y="106" className="label">
            {new Date(t0).toLocaleTimeString()} – {new Date(t1).toLocaleTimeString()}
          </text>
        )}
        {series.map((s, k) => (
          <polyline key={s.name} className={`line series-${k % COLORS}`} points={s.points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')} />
        ))}
      </svg>
      {series.length > 1 && (
        <ul className="legend">
          {series.map((s, k) => (
            <li key={s.name} className={`series-${k % COLORS}`}>
              {s.name}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
