// Alerts the hub evaluated (instance unhealthy, silent, upgrade failed): firing first, then resolved.
import { useState } from 'react';
import { ago } from '../api.ts';
import { useLive } from '../live.ts';
import { TableWrap } from '../table-wrap.tsx';

export function Alerts() {
  const [state, setState] = useState<'' | 'firing' | 'resolved'>('');
  const { data, error } = useLive('/alerts', { query: state ? { state } : {} });
  const alerts = [...(data?.alerts ?? [])].sort((a, b) => (a.state === b.state ? b.since.localeCompare(a.since) : a.state === 'firing' ? -1 : 1));
  const firing = (data?.alerts ?? []).filter((a) => a.state === 'firing').length;
  return (
    <section>
      <h1>Alerts</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <p className="summary">{data ? `${firing} firing` : 'Loading…'}</p>
      <label className="filter">
        Show
        <select value={state} onChange={(e) => setState(e.target.value as typeof state)}>
          <option value="">firing and resolved</option>
          <option value="firing">firing</option>
          <option value="resolved">resolved</option>
        </select>
      </label>
      <TableWrap label="Alerts">
        <table>
          <thead>
            <tr>
              <th scope="col">Alert</th>
              <th scope="col">State</th>
              <th scope="col">Instance</th>
              <th scope="col">Customer</th>
              <th scope="col">Since</th>
              <th scope="col">Resolved</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={`${a.rule}/${a.instanceId}`}>
                <td>{a.alertname}</td>
                <td>
                  <span className={`tag state-${a.state}`}>{a.state}</span>
                </td>
                <td>
                  <a href={`#/fleet/${a.instanceId}`}>{a.instance}</a>
                </td>
                <td>{a.customer}</td>
                <td title={a.since}>{ago(a.since)}</td>
                <td title={a.resolvedAt ?? ''}>{a.resolvedAt ? ago(a.resolvedAt) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {data && alerts.length === 0 && <p>No alerts.</p>}
      </TableWrap>
    </section>
  );
}
