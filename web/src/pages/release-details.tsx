// One release opened from the releases table: changelog, images and sizes, who signed it, its channels, and the diff
// against another release of the app (the hub computes it, as `skiff release diff` does).
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type ResponseOf } from '../api.ts';
import { usePolled } from '../poll.ts';
import { formatBytes } from '../portal-api.ts';
import { TableWrap } from '../table-wrap.tsx';

type Diff = ResponseOf<'GET', '/apps/:app/releases/:version/diff'>;

const short = (digest: string) => `${digest.slice(0, 19)}…`;
const message = (e: unknown) => (e instanceof ApiError ? e.message : 'the hub cannot be reached');

function DiffView({ diff }: { diff: Diff }) {
  const changed = diff.images.filter((i) => i.status !== 'unchanged');
  const shared = diff.images.flatMap((i) => (i.to && i.from ? [i] : []));
  return (
    <div>
      <p role="status">
        From {diff.from.version} to {diff.to.version}: a delta bundle carries {diff.delta.blobs} blob{diff.delta.blobs === 1 ? '' : 's'}, {formatBytes(diff.delta.bytes)}.
      </p>
      {changed.length === 0 && <p>No image changes.</p>}
      {changed.length > 0 && (
        <TableWrap label={`Images changed from ${diff.from.version} to ${diff.to.version}`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Change</th>
                <th scope="col">New layers</th>
                <th scope="col">Removed layers</th>
              </tr>
            </thead>
            <tbody>
              {changed.map((i) => (
                <tr key={i.service}>
                  <td>{i.service}</td>
                  <td>{i.status}</td>
                  <td>
                    {i.layersAdded.length} ({formatBytes(i.layersAdded.reduce((n, l) => n + l.size, 0))})
                  </td>
                  <td>{i.layersRemoved.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {shared.length > 0 && <p>Images kept in both: {shared.map((i) => i.service).join(', ')}.</p>}
      <h4>Changed settings (Compose)</h4>
      {diff.compose.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul className="changes">
          {diff.compose.map((c) => (
            <li key={c.path}>
              <code>{c.path}</code> {c.kind}
              {c.kind !== 'added' && <> from <code>{JSON.stringify(c.from)}</code></>}
              {c.kind !== 'removed' && <> to <code>{JSON.stringify(c.to)}</code></>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ReleaseDetails({ app, version, versions }: { app: string; version: string; versions: string[] }) {
  const load = useCallback(() => api.get('/apps/:app/releases/:version/details', { params: { app, version } }), [app, version]);
  const { data, error } = usePolled(load, 60_000);
  const others = versions.filter((v) => v !== version);
  const previous = versions[versions.indexOf(version) - 1] ?? others[0] ?? '';
  const [from, setFrom] = useState(previous);
  const [diff, setDiff] = useState<Diff | undefined>();
  const [diffError, setDiffError] = useState('');
  useEffect(() => {
    setDiff(undefined);
    setDiffError('');
    if (!from) return;
    api.get('/apps/:app/releases/:version/diff', { params: { app, version }, query: { from } }).then(setDiff, (e: unknown) => setDiffError(message(e)));
  }, [app, version, from]);
  return (
    <section className="card release-details" aria-label={`Release ${app} ${version}`}>
      <h3>
        {app} {version}
      </h3>
      {error && <p role="alert" className="error">{error}</p>}
      {!data && !error && <p>Loading…</p>}
      {data && (
        <>
          <p>
            Digest <span className="digest" title={data.digest}>{short(data.digest)}</span> · channels: {data.channels.join(', ') || 'none'} · needs agent {data.minAgentVersion} or newer
          </p>
          <h4>Signature</h4>
          <p>
            Signed by {data.signature.keyIds.length ? data.signature.keyIds.map((k, i) => <code key={k} title={k}>{i ? ', ' : ''}{k.slice(0, 16)}</code>) : 'no key the hub can read'}. {data.signature.verifiedAtPush}.
          </p>
          <h4>Changelog</h4>
          {data.changelog ? <pre className="changelog">{data.changelog}</pre> : <p>No changelog.</p>}
          <h4>Images</h4>
          {data.images.length === 0 ? (
            <p>No images.</p>
          ) : (
            <TableWrap label={`Images of ${app} ${version}`}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Service</th>
                    <th scope="col">Image</th>
                    <th scope="col">Digest</th>
                    <th scope="col">Compressed</th>
                  </tr>
                </thead>
                <tbody>
                  {data.images.map((i) => (
                    <tr key={i.service}>
                      <td>{i.service}</td>
                      <td>{i.ref}</td>
                      <td className="digest" title={i.manifestDigest}>{short(i.manifestDigest)}</td>
                      <td>{formatBytes(i.compressedBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
          <p>Total compressed: {formatBytes(data.totalCompressedBytes)}</p>
        </>
      )}
      <h4>Compare</h4>
      {others.length === 0 ? (
        <p>No other release to compare with.</p>
      ) : (
        <label>
          Changes since{' '}
          <select value={from} onChange={(e) => setFrom(e.target.value)}>
            {others.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
      )}
      {diffError && <p role="alert" className="error">{diffError}</p>}
      {diff && <DiffView diff={diff} />}
    </section>
  );
}
