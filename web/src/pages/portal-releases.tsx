// The portal's releases: per entitled app, what its channel offers, the release notes between what the customer's
// instances run and that, upgrade approval (where the vendor requires it), and bundle downloads — full, or a delta from
// what an instance runs — with the size shown before the download.
import { useCallback, useEffect, useState } from 'react';
import { api, type Instance } from '../api.ts';
import { bundlePath, bundleSize, errorText, formatBytes, type Approval, type ReleaseNotes } from '../portal-api.ts';
import { usePolled } from '../poll.ts';

interface AppOffer {
  app: string;
  offered: string[];
  notes: ReleaseNotes;
  approval: Approval;
  instances: Instance[];
}


export function PortalReleases({ customer, canApprove }: { customer: string; canApprove: boolean }) {
  const load = useCallback(async (): Promise<AppOffer[]> => {
    const [{ apps }, { instances }] = await Promise.all([api.get('/apps'), api.get('/instances')]);
    return Promise.all(
      apps.map(async ({ name }) => {
        const [{ channels }, notes, approval] = await Promise.all([
          api.get('/apps/:app/channels', { params: { app: name } }),
          api.get('/apps/:app/notes', { params: { app: name } }),
          api.get('/customers/:customer/apps/:app/approval', { params: { customer, app: name } }),
        ]);
        const offered = channels.flatMap((c) => c.releases.map((r) => r.version));
        return { app: name, offered, notes, approval, instances: instances.filter((i) => i.app === name && !i.revokedAt) };
      }),
    );
  }, [customer]);
  const { data, error, reload } = usePolled(load);
  return (
    <>
      <h2>Releases</h2>
      {error && <p role="alert" className="error">{error}</p>}
      {!data && !error && <p>Loading…</p>}
      {data?.length === 0 && <p>You are not entitled to any app yet.</p>}
      {data?.map((o) => (
        <article key={o.app} className="card" aria-labelledby={`app-${o.app}`}>
          <h3 id={`app-${o.app}`}>{o.app}</h3>
          <p>
            Offered: <strong>{o.notes.to ?? 'nothing yet'}</strong>; your instances run {o.notes.from ?? 'nothing yet'}.
          </p>
          <Notes notes={o.notes} />
          <ApprovalControls customer={customer} offer={o} canApprove={canApprove} onChange={reload} />
          <Download offer={o} />
        </article>
      ))}
    </>
  );
}

function Notes({ notes }: { notes: ReleaseNotes }) {
  if (notes.notes.length === 0) return <p>You run the newest release offered.</p>;
  return (
    <section aria-label="Release notes">
      <h4>
        Release notes {notes.from ?? 'start'} → {notes.to}
      </h4>
      {notes.notes.map((n) => (
        <details key={n.version} open={n.version === notes.to}>
          <summary>
            {n.version} <span className="tag">{n.createdAt.slice(0, 10)}</span>
          </summary>
          <pre className="changelog">{n.changelog.trim() || '(no notes)'}</pre>
        </details>
      ))}
    </section>
  );
}

/** Approval per customer and app, and per instance: one instance may go ahead while the others wait. */
function ApprovalControls({ customer, offer, canApprove, onChange }: { customer: string; offer: AppOffer; canApprove: boolean; onChange: () => void }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const { approval, notes } = offer;
  if (!approval.required) return <p>Upgrades of {offer.app} need no approval from you.</p>;
  const newest = notes.to;
  const approvedNewest = newest !== null && approval.approved.includes(newest);
  const approve = async () => {
    if (newest === null) return;
    setBusy(true);
    setError('');
    try {
      await api.post('/apps/:app/approvals', { version: newest, customer }, { params: { app: offer.app } });
      onChange();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-label="Approval" className="approval">
      <p>
        Upgrades wait for your approval. Approved: {approval.approved.length > 0 ? approval.approved.join(', ') : 'none yet'}.
      </p>
      {canApprove && newest !== null && !approvedNewest && (
        <button type="button" disabled={busy} onClick={() => void approve()}>
          Approve upgrade to {newest}
        </button>
      )}
      {error && <p role="alert" className="error">{error}</p>}
      {newest !== null && !approvedNewest && offer.instances.length > 0 && (
        <ul className="instance-approvals" aria-label="Approval per instance">
          {offer.instances.map((i) => (
            <InstanceApproval key={i.id} instance={i} version={newest} canApprove={canApprove} />
          ))}
        </ul>
      )}
    </section>
  );
}

function InstanceApproval({ instance, version, canApprove }: { instance: Instance; version: string; canApprove: boolean }) {
  const [state, setState] = useState<{ approved?: boolean; busy?: boolean; error?: string }>({});
  useEffect(() => {
    api.get('/instances/:id/approvals', { params: { id: instance.id } }).then(
      (a) => setState({ approved: a.approved.some((x) => x.version === version) }),
      (e: unknown) => setState({ error: errorText(e) }),
    );
  }, [instance.id, version]);
  const approve = async () => {
    setState({ busy: true });
    try {
      const a = await api.post('/instances/:id/approvals', { version }, { params: { id: instance.id } });
      setState({ approved: a.approved.some((x) => x.version === version) });
    } catch (e) {
      setState({ error: errorText(e) });
    }
  };
  return (
    <li>
      {instance.name} (runs {instance.currentVersion ?? 'nothing yet'}):{' '}
      {state.approved ? (
        <span>may upgrade to {version}</span>
      ) : canApprove ? (
        <button type="button" disabled={state.busy === true || (state.approved === undefined && state.error === undefined)} onClick={() => void approve()}>
          Approve {version} for {instance.name}
        </button>
      ) : (
        <span>waits</span>
      )}
      {state.error && <span role="alert" className="error"> {state.error}</span>}
    </li>
  );
}

function Download({ offer }: { offer: AppOffer }) {
  const newest = offer.offered.at(-1) ?? '';
  const [version, setVersion] = useState(newest);
  const [picked, setFrom] = useState('');
  const [size, setSize] = useState<{ key: string; bytes?: number; error?: string }>({ key: '' });
  // A delta starts from a release an instance runs that is older than the one downloaded (offered is oldest first).
  const older = (v: string) => offer.offered.indexOf(v) >= 0 && offer.offered.indexOf(v) < offer.offered.indexOf(version);
  const bases = [...new Set(offer.instances.map((i) => i.currentVersion).filter((v): v is string => v !== null && older(v)))];
  const from = bases.includes(picked) ? picked : '';
  const key = `${version}|${from}`;
  useEffect(() => {
    if (!version) return;
    let live = true;
    bundleSize(offer.app, version, from || undefined).then(
      (bytes) => live && setSize({ key, bytes }),
      (e: unknown) => live && setSize({ key, error: errorText(e) }),
    );
    return () => {
      live = false;
    };
  }, [offer.app, version, from, key]);
  if (!newest) return null;
  const current = size.key === key ? size : undefined;
  const file = from ? `${offer.app}-${from}-to-${version}.skiff` : `${offer.app}-${version}.skiff`;
  return (
    <section aria-label={`Download ${offer.app}`} className="download">
      <h4>Download a bundle</h4>
      <div className="row">
        <label>
          Release
          <select value={version} onChange={(e) => setVersion(e.target.value)}>
            {offer.offered.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select value={from} onChange={(e) => setFrom(e.target.value)}>
            <option value="">Full bundle</option>
            {bases.map((v) => (
              <option key={v} value={v}>
                Delta from {v} ({offer.instances.filter((i) => i.currentVersion === v).map((i) => i.name).join(', ')})
              </option>
            ))}
          </select>
        </label>
      </div>
      {current?.error && <p role="alert" className="error">{current.error}</p>}
      {!current && <p>Working out the size…</p>}
      {current?.bytes !== undefined && (
        <p>
          <span data-testid="bundle-size">Size: {formatBytes(current.bytes)}</span>{' '}
          <a className="button" href={bundlePath(offer.app, version, from || undefined)} download={file}>
            Download {file}
          </a>
        </p>
      )}
    </section>
  );
}
