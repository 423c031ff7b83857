// The portal's uploads (customer-admin): an air-gapped instance's signed report (.skiffr), which the hub checks is
// that instance's own and next in sequence, and a support bundle (.tar.gz) for one of the customer's instances.
import { useCallback, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { errorText, formatBytes, send } from '../portal-api.ts';
import { usePolled } from '../poll.ts';

type Outcome = { ok: boolean; text: string };

function Result({ outcome }: { outcome: Outcome | undefined }) {
  if (!outcome) return null;
  return outcome.ok ? <p role="status">{outcome.text}</p> : <p role="alert" className="error">{outcome.text}</p>;
}

export function PortalUploads() {
  const load = useCallback(() => api.get('/instances').then((r) => r.instances.filter((i) => !i.revokedAt)), []);
  const { data: instances } = usePolled(load, 30_000);
  const [report, setReport] = useState<Outcome>();
  const [support, setSupport] = useState<Outcome>();
  const [busy, setBusy] = useState(false);

  const upload = async (e: FormEvent<HTMLFormElement>, run: (f: FormData, file: File) => Promise<string>, set: (o: Outcome) => void) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const file = f.get('file');
    if (!(file instanceof File) || file.size === 0) return set({ ok: false, text: 'choose a file first' });
    setBusy(true);
    try {
      set({ ok: true, text: await run(f, file) });
      form.reset();
    } catch (err) {
      set({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const sendReport = (_f: FormData, file: File) => send<{ message: string }>('POST', '/reports', file).then((r) => r.message);
  const sendSupport = async (f: FormData, file: File) => {
    const id = String(f.get('instance'));
    await send('POST', `/instances/${encodeURIComponent(id)}/support-bundles`, file, 'application/gzip');
    return `support bundle ${file.name} (${formatBytes(file.size)}) uploaded for ${instances?.find((i) => i.id === id)?.name ?? id}`;
  };

  return (
    <>
      <h2>Upload</h2>
      <form className="card" aria-label="Upload an air-gap report" onSubmit={(e) => void upload(e, sendReport, setReport)}>
        <h3>Air-gap report</h3>
        <p>The signed .skiffr file that skiff agent report wrote on an air-gapped instance.</p>
        <label>
          Report file <input type="file" name="file" accept=".skiffr,application/json" required />
        </label>
        <button type="submit" disabled={busy}>
          Upload report
        </button>
        <Result outcome={report} />
      </form>
      <form className="card" aria-label="Upload a support bundle" onSubmit={(e) => void upload(e, sendSupport, setSupport)}>
        <h3>Support bundle</h3>
        <label>
          Instance
          <select name="instance" required>
            {instances?.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Bundle file <input type="file" name="file" accept=".gz,.tgz,application/gzip" required />
        </label>
        <button type="submit" disabled={busy || !instances?.length}>
          Upload support bundle
        </button>
        <Result outcome={support} />
      </form>
    </>
  );
}
