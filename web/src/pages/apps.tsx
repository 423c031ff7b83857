// Apps, their releases and channels; a release is promoted to a channel with one confirmed action.
import { useCallback, useState } from 'react';
import { api, ApiError, type App, type Channel, type Release } from '../api.ts';
import { usePolled } from '../poll.ts';
import { TableWrap } from '../table-wrap.tsx';
import { ReleaseDetails } from './release-details.tsx';

interface AppView {
  app: App;
  releases: Release[];
  channels: Channel[];
}

async function loadApps(): Promise<AppView[]> {
  const { apps } = await api.get('/apps');
  return Promise.all(
    apps.map(async (app) => {
      const params = { app: app.name };
      const [{ releases }, { channels }] = await Promise.all([api.get('/apps/:app/releases', { params }), api.get('/apps/:app/channels', { params })]);
      return { app, releases, channels };
    }),
  );
}

function Promote({ view, onDone }: { view: AppView; onDone: () => void }) {
  const [version, setVersion] = useState('');
  const [channel, setChannel] = useState('');
  const [message, setMessage] = useState('');
  const promote = async () => {
    if (!version || !channel) return;
    if (!confirm(`Promote ${view.app.name} ${version} to ${channel}? Sites following ${channel} will be offered it.`)) return;
    try {
      await api.post('/apps/:app/channels/:channel/releases', { version }, { params: { app: view.app.name, channel } });
      setMessage(`${version} is on ${channel}`);
      onDone();
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : 'the hub cannot be reached');
    }
  };
  return (
    <div className="promote">
      <label>
        Release{' '}
        <select value={version} onChange={(e) => setVersion(e.target.value)}>
          <option value="">choose…</option>
          {view.releases.map((r) => (
            <option key={r.version}>{r.version}</option>
          ))}
        </select>
      </label>
      <label>
        Channel <input value={channel} onChange={(e) => setChannel(e.target.value)} list={`channels-${view.app.name}`} placeholder="stable" />
        <datalist id={`channels-${view.app.name}`}>
          {view.channels.map((c) => (
            <option key={c.name} value={c.name} />
          ))}
        </datalist>
      </label>
      <button type="button" onClick={() => void promote()} disabled={!version || !channel}>
        Promote
      </button>
      {message && <p role="status">{message}</p>}
    </div>
  );
}

export function Apps({ canPromote }: { canPromote: boolean }) {
  const load = useCallback(loadApps, []);
  const { data, error, reload } = usePolled(load, 10_000);
  const [open, setOpen] = useState<{ app: string; version: string } | undefined>();
  const toggle = (app: string, version: string) => setOpen((o) => (o?.app === app && o.version === version ? undefined : { app, version }));
  return (
    <section>
      <h1>Apps &amp; releases</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {!data && !error && <p>Loading…</p>}
      {data?.length === 0 && <p>No apps yet: `skiff app create` makes one.</p>}
      {data?.map((view) => (
        <article key={view.app.name} className="card">
          <h2>{view.app.name}</h2>
          <h3>Channels</h3>
          <ul className="channels">
            {view.channels.map((c) => (
              <li key={c.name}>
                <strong>{c.name}</strong>: {c.releases.map((r) => `${r.version}${r.required ? ' (required)' : ''}`).join(', ') || 'empty'}
              </li>
            ))}
          </ul>
          <h3>Releases</h3>
          <TableWrap label={`Releases of ${view.app.name}`}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Pushed</th>
                </tr>
              </thead>
              <tbody>
                {view.releases.map((r) => (
                  <tr key={r.version}>
                    <td>
                      <button type="button" className="secondary" aria-expanded={open?.app === view.app.name && open.version === r.version} onClick={() => toggle(view.app.name, r.version)}>
                        {r.version}
                      </button>
                    </td>
                    <td className="digest" title={r.digest}>
                      {r.digest.slice(0, 19)}…
                    </td>
                    <td>{new Date(r.createdAt).toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {open?.app === view.app.name && <ReleaseDetails key={open.version} app={open.app} version={open.version} versions={view.releases.map((r) => r.version)} />}
          {canPromote && <Promote view={view} onDone={reload} />}
        </article>
      ))}
    </section>
  );
}
