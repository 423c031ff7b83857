// One instance: what it runs and how it is, its history (versions, health, upgrade failures with their reasons),
// live logs, charts of its agent's metrics and its support bundles.
import { ago, type ResponseOf } from '../api.ts';
import { useLive } from '../live.ts';
import { InstanceLogs } from './instance-logs.tsx';
import { InstanceMetrics } from './instance-metrics.tsx';
import { SupportBundles } from './instance-support.tsx';

type Event = ResponseOf<'GET', '/instances/:id'>['history'][number];

const text = (v: unknown) => (v === null || v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

/** One line for a history entry: what changed, and for a failure, why. */
function describe(e: Event): string {
  const d = e.detail;
  if (e.kind === 'version') return `version ${text(d.from)} → ${text(d.to)}`;
  if (e.kind === 'health') return `health ${text(d.from)} → ${text(d.to)}`;
  if (e.kind === 'upgrade-failed') return `upgrade to ${text(d.version)} failed: ${text(d.reason)}`;
  if (e.kind === 'error') return `error: ${text(d.message)}`;
  return `${e.kind}: ${Object.entries(d).map(([k, v]) => `${k} ${text(v)}`).join(', ')}`;
}

export function InstancePage({ id, canWrite }: { id: string; canWrite: boolean }) {
  const { data: i, error } = useLive('/instances/:id', { params: { id } });
  const services = i?.metrics?.containers.map((c) => c.service) ?? [];
  return (
    <section>
      <p>
        <a href="#/fleet">← Fleet</a>
      </p>
      <h1>{i ? `${i.name} (${i.customer})` : 'Instance'}</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {i && (
        <>
          <div className="card">
            <dl className="facts">
              <dt>App</dt>
              <dd>{i.app}</dd>
              <dt>Version</dt>
              <dd>
                {i.currentVersion ?? 'none'}
                {i.desiredVersion && i.desiredVersion !== i.currentVersion ? ` → ${i.desiredVersion}` : ''}
              </dd>
              <dt>Health</dt>
              <dd>
                <span className={`health ${i.revokedAt ? 'revoked' : (i.health ?? 'unknown')}`}>{i.revokedAt ? 'revoked' : (i.health ?? 'unknown')}</span>
                {i.phase ? ` · ${i.phase}` : ''}
              </dd>
              <dt>Last seen</dt>
              <dd title={i.lastSeenAt ?? ''}>{ago(i.lastSeenAt)}</dd>
              {i.lastError && (
                <>
                  <dt>Last error</dt>
                  <dd className="error">{i.lastError}</dd>
                </>
              )}
              {i.blockedReason && (
                <>
                  <dt>Waiting</dt>
                  <dd>{i.blockedReason}</dd>
                </>
              )}
              <dt>Agent</dt>
              <dd>{i.agentVersion ?? 'unknown'}</dd>
            </dl>
          </div>
          <h2>Metrics</h2>
          <InstanceMetrics history={i.metricsHistory} />
          <h2>History</h2>
          {i.history.length === 0 ? (
            <p>Nothing yet.</p>
          ) : (
            <ol className="history">
              {i.history.map((e, k) => (
                <li key={`${e.at}/${k}`} className={e.kind === 'upgrade-failed' || e.kind === 'error' ? 'error' : undefined}>
                  <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time> {describe(e)}
                </li>
              ))}
            </ol>
          )}
          <InstanceLogs id={id} services={services} />
          <SupportBundles id={id} canRequest={canWrite && i.revokedAt === null} />
        </>
      )}
    </section>
  );
}
