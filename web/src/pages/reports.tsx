// Delivery reports: per app, instances per version, how far behind their channel they are, time to 50 % / 90 %
// adoption of each release, failed upgrades with their reasons, and the same per customer; the CSV for a spreadsheet.
import { useEffect, useState } from 'react';
import { api, type ResponseOf } from '../api.ts';
import { useLive } from '../live.ts';
import { BarChart } from '../charts.tsx';
import { TableWrap } from '../table-wrap.tsx';

type Report = ResponseOf<'GET', '/reports/adoption'>;

const duration = (s: number | undefined) => (s === undefined ? '—' : s < 3600 ? `${Math.round(s / 60)} min` : s < 172_800 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s / 86_400)} d`);

function ReportView({ r }: { r: Report }) {
  return (
    <>
      <p className="summary">
        {r.instances} instances · {r.failedUpgrades.length} failed upgrades
      </p>
      <div className="charts">
        <BarChart title="Instances per version" rows={r.versions.filter((v) => v.instances > 0).map((v) => [v.version, v.instances])} />
        <BarChart title="Releases behind their channel" rows={Object.entries(r.behind).map(([k, n]) => [k === '0' ? 'up to date' : k === 'none' ? 'behind on all' : `${k} behind`, n ?? 0])} />
      </div>
      <h2>Adoption of each release</h2>
      <TableWrap label="Adoption of each release">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Released</th>
              <th scope="col">Instances</th>
              <th scope="col">To 50 %</th>
              <th scope="col">To 90 %</th>
            </tr>
          </thead>
          <tbody>
            {r.versions.map((v) => (
              <tr key={v.version}>
                <td>{v.version}</td>
                <td>{v.releasedAt ? new Date(v.releasedAt).toLocaleString() : '—'}</td>
                <td>{v.instances}</td>
                <td>{duration(v.adoption50?.seconds)}</td>
                <td>{duration(v.adoption90?.seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <h2>Per customer</h2>
      <TableWrap label="Versions per customer">
        <table>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Instances</th>
              <th scope="col">Versions</th>
              <th scope="col">Failed upgrades</th>
            </tr>
          </thead>
          <tbody>
            {r.customers.map((c) => (
              <tr key={c.customer}>
                <td>{c.customer}</td>
                <td>{c.instances}</td>
                <td>{Object.entries(c.versions).map(([v, n]) => `${v}: ${n}`).join(', ')}</td>
                <td>{c.failedUpgrades}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {r.failedUpgrades.length > 0 && (
        <>
          <h2>Failed upgrades</h2>
          <ul>
            {r.failedUpgrades.map((f) => (
              <li key={`${f.instanceId}/${f.at}`}>
                <a href={`#/fleet/${f.instanceId}`}>{f.instance}</a> ({f.customer}) to {f.version}, {new Date(f.at).toLocaleString()}: <span className="error">{f.reason}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

export function Reports() {
  const [apps, setApps] = useState<string[]>();
  const [app, setApp] = useState('');
  useEffect(() => {
    void api.get('/apps').then((r) => {
      setApps(r.apps.map((a) => a.name));
      setApp((cur) => cur || (r.apps[0]?.name ?? ''));
    });
  }, []);
  const { data, error } = useLive('/reports/adoption', { query: { app } }, { skip: !app, everyMs: 10_000 });
  return (
    <section>
      <h1>Delivery report</h1>
      {apps && apps.length === 0 && <p>No apps yet.</p>}
      {apps && apps.length > 0 && (
        <div className="filters">
          <label>
            App
            <select value={app} onChange={(e) => setApp(e.target.value)}>
              {apps.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </label>
          <a href={`/api/v1/reports/adoption?app=${encodeURIComponent(app)}&format=csv`} download>
            Download CSV
          </a>
        </div>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {data && <ReportView r={data} />}
    </section>
  );
}
