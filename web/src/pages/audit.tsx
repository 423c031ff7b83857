// The audit log, newest first: who changed what, when, from where.
import { useCallback } from 'react';
import { api, type AuditEntry } from '../api.ts';
import { usePolled } from '../poll.ts';
import { TableWrap } from '../table-wrap.tsx';

export function Audit() {
  const load = useCallback(async () => {
    // The API pages oldest first: walk to the end (bounded), keep the newest 500.
    let entries: AuditEntry[] = [];
    for (let page = 0, after = 0; page < 100; page++) {
      const r = await api.get('/audit', { query: { after: String(after), limit: '1000' } });
      entries = [...entries, ...r.entries].slice(-500);
      if (r.entries.length < 1000) break;
      after = r.entries.at(-1)!.id;
    }
    return entries.reverse();
  }, []);
  const { data, error } = usePolled(load, 10_000);
  return (
    <section>
      <h1>Audit log</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <TableWrap label="Audit entries">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
            </tr>
          </thead>
          <tbody>
            {data?.map((e) => (
              <tr key={e.id}>
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.target}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}
