// A customer's API tokens: listed (never their secrets), issued (the token shown once) and revoked, confirmed.
import { useCallback, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { usePolled } from '../poll.ts';
import { TableWrap } from '../table-wrap.tsx';

const message = (e: unknown) => (e instanceof ApiError ? e.message : 'the hub cannot be reached');

export function CustomerTokens({ customer, canWrite }: { customer: string; canWrite: boolean }) {
  const load = useCallback(() => api.get('/customers/:customer/tokens', { params: { customer } }), [customer]);
  const { data, error, reload } = usePolled(load, 30_000);
  const [shown, setShown] = useState('');
  const [status, setStatus] = useState('');
  const issue = async () => {
    try {
      const { token } = await api.post('/customers/:customer/tokens', {}, { params: { customer } });
      setShown(token);
      setStatus('');
      reload();
    } catch (e) {
      setStatus(message(e));
    }
  };
  const revoke = async (id: string, name: string) => {
    if (!confirm(`Revoke the token "${name}" of ${customer}? Whatever uses it stops working at once.`)) return;
    try {
      await api.del('/tokens/:id', { params: { id } });
      setStatus('Token revoked');
      reload();
    } catch (e) {
      setStatus(message(e));
    }
  };
  // An instance's own credential is revoked with the instance (fleet page), not here.
  const live = data?.tokens.filter((t) => t.kind === 'customer' && !t.revokedAt) ?? [];
  return (
    <div>
      <h3>Tokens</h3>
      {error && <p role="alert" className="error">{error}</p>}
      {data && live.length === 0 && <p>No live token.</p>}
      {live.length > 0 && (
        <TableWrap label={`Tokens of ${customer}`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Issued</th>
                {canWrite && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {live.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{new Date(t.createdAt).toLocaleString()}</td>
                  {canWrite && (
                    <td>
                      <button type="button" className="secondary" aria-label={`Revoke token issued ${new Date(t.createdAt).toLocaleString()}`} onClick={() => void revoke(t.id, t.name)}>
                        Revoke
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {canWrite && (
        <button type="button" onClick={() => void issue()}>
          New customer token
        </button>
      )}
      {shown && (
        <p>
          Copy it now, it is not shown again: <output className="token">{shown}</output>
        </p>
      )}
      {status && <p role="status">{status}</p>}
    </div>
  );
}
