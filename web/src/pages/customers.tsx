// Customers: their entitlements, instances (paged from the hub per customer), tokens, configuration values; enrollment tokens for a new site.
import { useCallback, useState } from 'react';
import { api, ApiError, type Customer } from '../api.ts';
import { usePolled } from '../poll.ts';
import { CustomerTokens } from './customer-tokens.tsx';
import { CustomerValues } from './customer-values.tsx';
import { InstanceTable } from './fleet.tsx';

const PAGE = 50;

/** The customer's first instances only, filtered by the hub: the page never loads the whole fleet. */
function CustomerInstances({ customer }: { customer: string }) {
  const load = useCallback(() => api.get('/instances', { query: { customer, limit: String(PAGE) } }), [customer]);
  const { data, error } = usePolled(load, 10_000);
  if (error) return <p role="alert" className="error">{error}</p>;
  if (!data) return <p>Loading instances…</p>;
  return (
    <>
      <InstanceTable instances={data.instances} showCustomer={false} />
      {data.instances.length === PAGE && <p>The first {PAGE} instances; the Fleet page finds the others.</p>}
    </>
  );
}

function EnrollToken({ customer }: { customer: Customer }) {
  const [app, setApp] = useState(customer.entitlements[0]?.app ?? '');
  const [result, setResult] = useState('');
  const make = async () => {
    try {
      const r = await api.post('/customers/:customer/enroll-tokens', { app, uses: 1, expiresInSeconds: 86_400 }, { params: { customer: customer.name } });
      setResult(r.token);
    } catch (e) {
      setResult(e instanceof ApiError ? e.message : 'the hub cannot be reached');
    }
  };
  return (
    <div className="promote">
      <label>
        App{' '}
        <select value={app} onChange={(e) => setApp(e.target.value)}>
          {customer.entitlements.map((e) => (
            <option key={e.app}>{e.app}</option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => void make()} disabled={!app}>
        New enrollment token (1 use, 24 h)
      </button>
      {result && <output className="token">{result}</output>}
    </div>
  );
}

export function Customers({ canWrite }: { canWrite: boolean }) {
  const load = useCallback(() => api.get('/customers'), []);
  const { data, error } = usePolled(load, 10_000);
  return (
    <section>
      <h1>Customers</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {!data && !error && <p>Loading…</p>}
      {data?.customers.map((c) => {
        return (
          <article key={c.id} className="card">
            <h2>
              {c.name} <span className="tag">{c.airgapped ? 'air-gapped' : 'connected'}</span>
            </h2>
            <p>
              Entitled to:{' '}
              {c.entitlements.map((e) => `${e.app} (${e.channel}${e.expiresAt ? `, until ${new Date(e.expiresAt).toLocaleDateString()}` : ''})`).join(', ') || 'nothing'}
            </p>
            <CustomerInstances customer={c.name} />
            <CustomerTokens customer={c.name} canWrite={canWrite} />
            {c.entitlements.map((e) => (
              <CustomerValues key={e.app} customer={c.name} app={e.app} canWrite={canWrite} />
            ))}
            {canWrite && c.entitlements.length > 0 && <EnrollToken customer={c} />}
          </article>
        );
      })}
    </section>
  );
}
