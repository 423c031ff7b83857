// A customer's configuration values of one app: a secret is write-only (shown as set or not set, can be replaced),
// other values are shown and editable; changes only for roles that may write, each confirmed.
import { useCallback, useMemo, useState } from 'react';
import { api, ApiError, type ResponseOf } from '../api.ts';
import { usePolled } from '../poll.ts';
import { TableWrap } from '../table-wrap.tsx';

type ValueView = ResponseOf<'GET', '/customers/:customer/apps/:app/values'>['values'][number];
type Site = { customer: string; app: string };

const message = (e: unknown) => (e instanceof ApiError ? e.message : 'the hub cannot be reached');

function ValueRow({ site, v, canWrite, onDone }: { site: Site; v: ValueView; canWrite: boolean; onDone: (status: string) => void }) {
  const [draft, setDraft] = useState(v.secret ? '' : (v.value ?? ''));
  const save = async () => {
    if (!confirm(v.secret ? `Replace the secret ${v.name}? The old value is gone for good.` : `Set ${v.name} to "${draft}"?`)) return;
    try {
      await api.patch('/customers/:customer/apps/:app/values', { set: { [v.name]: draft }, secret: v.secret }, { params: site });
      if (v.secret) setDraft('');
      onDone(`${v.name} saved`);
    } catch (e) {
      onDone(message(e));
    }
  };
  return (
    <tr>
      <td>
        {v.name}
        {v.required ? ' (required)' : ''}
      </td>
      <td>{v.secret ? (v.set ? 'secret, set' : 'secret, not set') : v.set ? <code>{v.value}</code> : 'not set'}</td>
      {canWrite && (
        <td>
          <input type={v.secret ? 'password' : 'text'} autoComplete="off" aria-label={v.secret ? `New value of ${v.name}` : `Value of ${v.name}`} value={draft} onChange={(e) => setDraft(e.target.value)} />{' '}
          <button type="button" className="secondary" disabled={!draft} onClick={() => void save()}>
            {v.secret ? 'Replace' : 'Save'}
          </button>
        </td>
      )}
    </tr>
  );
}

export function CustomerValues({ customer, app, canWrite }: { customer: string; app: string; canWrite: boolean }) {
  const site = useMemo(() => ({ customer, app }), [customer, app]);
  const load = useCallback(() => api.get('/customers/:customer/apps/:app/values', { params: site }), [site]);
  const { data, error, reload } = usePolled(load, 30_000);
  const [status, setStatus] = useState('');
  const done = (s: string) => {
    setStatus(s);
    reload();
  };
  return (
    <div>
      <h3>Configuration of {app}</h3>
      {error && <p role="alert" className="error">{error}</p>}
      {data?.values.length === 0 && <p>No settings.</p>}
      {data && data.values.length > 0 && (
        <TableWrap label={`Configuration of ${app} for ${customer}`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Setting</th>
                <th scope="col">Value</th>
                {canWrite && <th scope="col">Change</th>}
              </tr>
            </thead>
            <tbody>
              {data.values.map((v) => (
                <ValueRow key={`${v.name}:${v.set ? v.value ?? 'set' : ''}`} site={site} v={v} canWrite={canWrite} onDone={done} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {status && <p role="status">{status}</p>}
    </div>
  );
}
