// The fleet: every instance with its version, health and last check-in; a filter; the version distribution at a glance;
// `#/fleet/<id>` is one instance's page.
import { useEffect, useState } from 'react';
import { ago, type Instance } from '../api.ts';
import { useLive } from '../live.ts';
import { TableWrap } from '../table-wrap.tsx';
import { InstancePage } from './instance.tsx';

/** Rows of [version, instances]: from the fleet's summary, or counted from a list of instances. */
export function VersionChart({ instances, counts }: { instances?: Instance[]; counts?: [string, number][] }) {
  const tally = new Map<string, number>();
  for (const i of instances ?? []) tally.set(i.currentVersion ?? 'none', (tally.get(i.currentVersion ?? 'none') ?? 0) + 1);
  const rows = counts ?? [...tally].sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...rows.map((r) => r[1]));
  return (
    <figure className="chart" aria-label="Instances per version">
      <figcaption>Instances per version</figcaption>
      <svg viewBox={`0 0 300 ${rows.length * 22}`} role="img" aria-label={rows.map(([v, n]) => `${v}: ${n}`).join(', ')}>
        {rows.map(([version, n], k) => (
          <g key={version} transform={`translate(0 ${k * 22})`}>
            <text x="0" y="15" className="label">
              {version}
            </text>
            <rect x="90" y="3" height="16" width={(180 * n) / max} className="bar" />
            <text x={96 + (180 * n) / max} y="15" className="label">
              {n}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

export function InstanceTable({ instances, showCustomer, link = false }: { instances: Instance[]; showCustomer: boolean; link?: boolean }) {
  return (
    <TableWrap label="Instances">
      <table>
        <thead>
          <tr>
            <th scope="col">Instance</th>
            {showCustomer && <th scope="col">Customer</th>}
            <th scope="col">App</th>
            <th scope="col">Version</th>
            <th scope="col">Health</th>
            <th scope="col">Last seen</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {instances.map((i) => (
            <tr key={i.id}>
              <td>{link ? <a href={`#/fleet/${i.id}`}>{i.name}</a> : i.name}</td>
              {showCustomer && <td>{i.customer}</td>}
              <td>{i.app}</td>
              <td>
                {i.currentVersion ?? '—'}
                {i.desiredVersion && i.desiredVersion !== i.currentVersion ? ` → ${i.desiredVersion}` : ''}
              </td>
              <td>
                <span className={`health ${i.revokedAt ? 'revoked' : (i.health ?? 'unknown')}`}>{i.revokedAt ? 'revoked' : (i.health ?? 'unknown')}</span>
              </td>
              <td title={i.lastSeenAt ?? ''}>{ago(i.lastSeenAt)}</td>
              <td className="error-cell">{i.lastError ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {instances.length === 0 && <p>No instances match.</p>}
    </TableWrap>
  );
}

/** The instance id in `#/fleet/<id>`, if any. */
function useInstanceId(): string | undefined {
  const read = () => /^#\/?fleet\/([0-9a-f-]{36})$/.exec(location.hash)?.[1];
  const [id, setId] = useState(read);
  useEffect(() => {
    const on = () => setId(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return id;
}

export function Fleet({ canWrite = false }: { canWrite?: boolean }) {
  const id = useInstanceId();
  return id ? <InstancePage id={id} canWrite={canWrite} /> : <FleetTable />;
}

const PAGE = 100;

/** The value after it has stopped changing for `ms`: a search is sent once the typing pauses. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

function FleetTable() {
  const [offset, setOffset] = useState(0);
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 300);
  useEffect(() => setOffset(0), [q]);
  const { data: summary, error: summaryError } = useLive('/instances/summary');
  // The hub searches the whole fleet; one page more than shown tells whether there is a next page.
  const { data: answer, stale, error } = useLive('/instances', { query: { limit: String(PAGE + 1), offset: String(offset), q } }, { keepPrevious: true });
  const page = answer?.instances.slice(0, PAGE);
  const hasNext = (answer?.instances.length ?? 0) > PAGE;
  const problem = error || summaryError;
  return (
    <section>
      <h1>Fleet</h1>
      {problem && <p role="alert" className="error">{problem}</p>}
      <p className="summary">
        {summary ? `${summary.instances} instances, ${summary.unhealthy} unhealthy` : 'Loading…'}
      </p>
      {summary && <VersionChart counts={summary.versions.map((v) => [v.version ?? 'none', v.count])} />}
      <label className="filter">
        Search the fleet <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="name, customer, version, id, tag=value" maxLength={200} />
      </label>
      {page ? (
        <div aria-busy={stale} className={stale ? 'stale' : undefined}>
          <InstanceTable instances={page} showCustomer link />
        </div>
      ) : (
        <p>Loading…</p>
      )}
      {(offset > 0 || hasNext) && (
        <nav className="pager" aria-label="Pages of instances">
          <button type="button" className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <span>
            {offset + 1}–{offset + (page?.length ?? 0)}
            {summary && !q ? ` of ${summary.instances}` : ''}
          </span>
          <button type="button" className="secondary" disabled={!hasNext} onClick={() => setOffset(offset + PAGE)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}
