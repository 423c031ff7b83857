// An instance's support bundles: ask a connected instance for one (for those who may), list them, download each.
import { useState } from 'react';
import { api, ApiError, ago } from '../api.ts';
import { useLive } from '../live.ts';

const size = (n: number) => (n < 1_048_576 ? `${Math.ceil(n / 1024)} KiB` : `${(n / 1_048_576).toFixed(1)} MiB`);

export function SupportBundles({ id, canRequest }: { id: string; canRequest: boolean }) {
  const { data, error, reload } = useLive('/instances/:id/support-bundles', { params: { id } });
  const [problem, setProblem] = useState('');
  const request = async () => {
    setProblem('');
    try {
      await api.post('/instances/:id/support-bundle-request', {}, { params: { id } });
      reload();
    } catch (e) {
      setProblem(e instanceof ApiError ? e.message : 'the hub cannot be reached');
    }
  };
  return (
    <section aria-labelledby="support-title">
      <h2 id="support-title">Support bundles</h2>
      {(error || problem) && (
        <p role="alert" className="error">
          {problem || error}
        </p>
      )}
      <div className="actions">
        {data?.requestedAt ? <span>Requested {ago(data.requestedAt)}; the instance sends it at its next check-in.</span> : null}
        {canRequest && !data?.requestedAt && (
          <button type="button" onClick={() => void request()}>
            Request a support bundle
          </button>
        )}
      </div>
      {data && data.bundles.length === 0 && <p>No support bundles yet.</p>}
      {data && data.bundles.length > 0 && (
        <ul>
          {data.bundles.map((b) => (
            <li key={b.id}>
              <a href={`/api/v1/instances/${encodeURIComponent(id)}/support-bundles/${encodeURIComponent(b.id)}`} download>
                {new Date(b.createdAt).toLocaleString()} ({size(b.size)})
              </a>{' '}
              from {b.uploadedBy}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
