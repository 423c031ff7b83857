// The customer portal: the customer's own instances and versions, and the releases its channels offer.
import { useCallback } from 'react';
import { api, type App, type Channel, type Instance } from '../api.ts';
import { usePolled } from '../poll.ts';
import { InstanceTable } from './fleet.tsx';

export function Portal({ customer }: { customer: string }) {
  const load = useCallback(async () => {
    const [{ instances }, { apps }] = await Promise.all([api.get<{ instances: Instance[] }>('/instances'), api.get<{ apps: App[] }>('/apps')]);
    const channels = await Promise.all(apps.map((a) => api.get<{ channels: Channel[] }>(`/apps/${encodeURIComponent(a.name)}/channels`).then((r) => r.channels)));
    return { instances, offered: channels.flat() };
  }, []);
  const { data, error } = usePolled(load);
  return (
    <section>
      <h1>{customer}</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {!data && !error && <p>Loading…</p>}
      {data && (
        <>
          <h2>Your instances</h2>
          <InstanceTable instances={data.instances} showCustomer={false} />
          <h2>Available releases</h2>
          <ul className="channels">
            {data.offered.map((c) => (
              <li key={`${c.app}/${c.name}`}>
                <strong>{c.app}</strong> on {c.name}: {c.releases.at(-1)?.version ?? 'nothing yet'}
                {c.releases.some((r) => r.required) ? ' (has required releases)' : ''}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
