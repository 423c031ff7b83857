// The portal's maintenance windows: per entitled app, the weekly spans in which the customer's instances may switch
// releases; a customer-admin adds and removes them (the whole list is sent, as the API takes it).
import { useCallback, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { errorText, type MaintenanceWindow } from '../portal-api.ts';
import { usePolled } from '../poll.ts';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const describe = (w: MaintenanceWindow) => `${w.days.join(', ')} ${w.start}–${w.end} ${w.timeZone}`;

export function PortalWindows({ customer, canEdit }: { customer: string; canEdit: boolean }) {
  const load = useCallback(async () => {
    const { apps } = await api.get('/apps');
    return Promise.all(apps.map(async (a) => ({ app: a.name, policy: await api.get('/customers/:customer/apps/:app/policy', { params: { customer, app: a.name } }) })));
  }, [customer]);
  const { data, error, reload } = usePolled(load);
  return (
    <>
      <h2>Maintenance windows</h2>
      <p>Your instances switch to a new release only inside these windows; with none, at any time.</p>
      {error && <p role="alert" className="error">{error}</p>}
      {!data && !error && <p>Loading…</p>}
      {data?.map(({ app, policy }) => (
        <AppWindows key={app} customer={customer} app={app} windows={policy.windows} canEdit={canEdit} onChange={reload} />
      ))}
    </>
  );
}

function AppWindows(props: { customer: string; app: string; windows: MaintenanceWindow[]; canEdit: boolean; onChange: () => void }) {
  const { customer, app, windows, canEdit, onChange } = props;
  const [error, setError] = useState('');
  const save = async (next: MaintenanceWindow[]): Promise<boolean> => {
    setError('');
    try {
      await api.patch('/customers/:customer/apps/:app/policy', { windows: next }, { params: { customer, app } });
      onChange();
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    }
  };
  const add = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const days = DAYS.filter((d) => f.get(d) === 'on');
    if (days.length === 0) return setError('pick at least one day');
    const w = { days, start: String(f.get('start')), end: String(f.get('end')), timeZone: String(f.get('timeZone')) };
    if (await save([...windows, w])) form.reset();
  };
  return (
    <article className="card" aria-labelledby={`win-${app}`}>
      <h3 id={`win-${app}`}>{app}</h3>
      {windows.length === 0 ? (
        <p>No windows: upgrades may happen at any time.</p>
      ) : (
        <ul className="windows">
          {windows.map((w, i) => (
            <li key={`${describe(w)}-${i}`}>
              {describe(w)}{' '}
              {canEdit && (
                <button type="button" className="secondary" onClick={() => void save(windows.filter((_, j) => j !== i))} aria-label={`Remove window ${describe(w)}`}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canEdit && (
        <form onSubmit={(e) => void add(e)} aria-label={`Add a window for ${app}`} className="window-form">
          <fieldset>
            <legend>Days</legend>
            {DAYS.map((d) => (
              <label key={d}>
                <input type="checkbox" name={d} /> {d}
              </label>
            ))}
          </fieldset>
          <label>
            From <input type="time" name="start" defaultValue="02:00" required />
          </label>
          <label>
            To <input type="time" name="end" defaultValue="04:00" required />
          </label>
          <label>
            Time zone <input name="timeZone" defaultValue={Intl.DateTimeFormat().resolvedOptions().timeZone} required />
          </label>
          <button type="submit">Add window</button>
        </form>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </article>
  );
}
