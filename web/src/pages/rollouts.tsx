// Rollouts, newest first: each group's live progress; pause, resume, cancel or retry the failed instances (each
// confirmed) for those who may.
import { useState } from 'react';
import { api, ApiError, ago, type ResponseOf } from '../api.ts';
import { useLive } from '../live.ts';
import { TableWrap } from '../table-wrap.tsx';

type Rollout = ResponseOf<'GET', '/rollouts'>['rollouts'][number];
type Command = 'pause' | 'resume' | 'cancel' | 'retry';

const VERB: Record<Command, string> = { pause: 'Pause', resume: 'Resume', cancel: 'Cancel', retry: 'Retry failed' };
const failedOf = (r: Rollout): number => r.groups.reduce((n, g) => n + g.failed, 0);
const commandsOf = (r: Rollout): Command[] => {
  const retry: Command[] = failedOf(r) > 0 ? ['retry'] : [];
  return r.state === 'running' ? ['pause', ...retry, 'cancel'] : r.state === 'paused' ? ['resume', ...retry, 'cancel'] : [];
};
const question = (c: Command, r: Rollout): string =>
  c === 'retry' ? `Try the ${failedOf(r)} failed instance${failedOf(r) === 1 ? '' : 's'} of ${r.app} ${r.version} again?` : `${VERB[c]} the rollout of ${r.app} ${r.version}?`;

function GroupProgress({ g }: { g: Rollout['groups'][number] }) {
  const pct = (n: number) => (g.size ? (100 * n) / g.size : 0);
  return (
    <tr>
      <td>Group {g.group}</td>
      <td>
        <svg className="progress-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={`${g.committed} of ${g.size} upgraded, ${g.failed} failed`}>
          <rect x="0" y="0" width="100" height="10" className="track" />
          <rect x="0" y="0" width={pct(g.committed)} height="10" className="committed" />
          <rect x={pct(g.committed)} y="0" width={pct(g.failed)} height="10" className="failed" />
        </svg>
      </td>
      <td>
        {g.committed}/{g.size} upgraded{g.failed ? `, ${g.failed} failed` : ''}
      </td>
      <td>{g.startedAt ? `started ${ago(g.startedAt)}` : 'waiting'}</td>
    </tr>
  );
}

function RolloutCard({ r, canCommand, onDone }: { r: Rollout; canCommand: boolean; onDone: () => void }) {
  const [asking, setAsking] = useState<Command | null>(null);
  const [error, setError] = useState('');
  const run = async (c: Command) => {
    setError('');
    try {
      await api.post(`/rollouts/:id/${c}`, {}, { params: { id: r.id } });
      setAsking(null);
      onDone();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'the hub cannot be reached');
    }
  };
  const done = r.groups.reduce((n, g) => n + g.committed, 0);
  const size = r.groups.reduce((n, g) => n + g.size, 0);
  return (
    <article className="card" aria-labelledby={`rollout-${r.id}`}>
      <h2 id={`rollout-${r.id}`}>
        {r.app} {r.version} <span className={`tag state-${r.state}`}>{r.state}</span>
      </h2>
      <p>
        {done} of {size} instances upgraded · started by {r.createdBy} {ago(r.createdAt)}
        {r.reason ? ` · ${r.reason}` : ''}
      </p>
      <TableWrap label={`Progress of the rollout of ${r.app} ${r.version}`}>
        <table>
          <caption className="visually-hidden">Progress per group</caption>
          <tbody>
            {r.groups.map((g) => (
              <GroupProgress key={g.group} g={g} />
            ))}
          </tbody>
        </table>
      </TableWrap>
      {canCommand && commandsOf(r).length > 0 && (
        <div className="actions">
          {asking === null ? (
            commandsOf(r).map((c) => (
              <button key={c} type="button" className={c === 'cancel' ? 'secondary' : undefined} onClick={() => setAsking(c)}>
                {VERB[c]}
              </button>
            ))
          ) : (
            <div className="confirm" role="group" aria-label="Confirm">
              <span>{question(asking, r)}</span>
              <button type="button" autoFocus onClick={() => void run(asking)}>
                {`Yes, ${asking}`}
              </button>
              <button type="button" className="secondary" onClick={() => setAsking(null)}>
                No
              </button>
            </div>
          )}
        </div>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </article>
  );
}

export function Rollouts({ canCommand }: { canCommand: boolean }) {
  const { data, error, reload } = useLive('/rollouts');
  return (
    <section>
      <h1>Rollouts</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!data ? <p>Loading…</p> : data.rollouts.length === 0 ? <p>No rollouts yet: start one with skiff rollout start.</p> : data.rollouts.map((r) => <RolloutCard key={r.id} r={r} canCommand={canCommand} onDone={reload} />)}
    </section>
  );
}
