// Pushes a release from a local store: HEAD each blob, PUT (streamed) only those the hub lacks, then the signed release.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpHeader, type Digest } from '../oci/index.ts';
import { getRelease, releaseBlobs } from '../release/index.ts';
import type { FsBlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import { HubClient } from './client.ts';
import type { HubConnection } from './connection.ts';
import { hubError } from './errors.ts';
import { send } from './http.ts';

export interface PushOptions {
  readonly conn: HubConnection;
  readonly store: FsBlobStore;
  readonly app: string;
  readonly version: string;
  /** Bytes sent so far of the bytes the hub lacks. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface PushResult {
  readonly app: string;
  readonly version: string;
  readonly digest: Digest;
  /** Blobs uploaded, in order. */
  readonly sent: readonly Digest[];
  readonly sentBytes: number;
  /** Blobs the hub already had. */
  readonly skipped: readonly Digest[];
  /** False when the hub already had this exact release. */
  readonly created: boolean;
}

const HINT = 'check --hub (rerun the push: blobs already sent are kept)';
const blobUrl = (conn: HubConnection, digest: Digest): string => `${conn.hub}/api/v1/blobs/${digest}`;

/** Whether the hub already has `digest`. */
async function hubHas(conn: HubConnection, digest: Digest, signal?: AbortSignal): Promise<boolean> {
  const url = blobUrl(conn, digest);
  const res = await send(conn, 'HEAD', url, { signal, hint: HINT });
  await res.body.dump();
  if (res.statusCode === 200) return true;
  if (res.statusCode === 404) return false;
  const err = hubError(res.statusCode, '', 'HEAD', url);
  throw new SkiffError(err.code, `${err.message}; check the token has the release:push permission`);
}

async function uploadBlob(conn: HubConnection, store: FsBlobStore, digest: Digest, size: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
  const url = blobUrl(conn, digest);
  let sent = 0;
  const body = () => {
    onBytes(-sent);
    sent = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sent += chunk.length;
        onBytes(chunk.length);
        cb(null, chunk);
      },
    });
    void store.get(digest, { signal }).then((src) => pipeline(src, counted)).catch((e: unknown) => counted.destroy(e instanceof Error ? e : new Error(String(e))));
    return counted;
  };
  const res = await send(conn, 'PUT', url, {
    body,
    signal,
    hint: HINT,
    headers: { [HttpHeader.contentType]: 'application/octet-stream', [HttpHeader.contentLength]: String(size) },
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw hubError(res.statusCode, text, 'PUT', url);
}

/** Pushes `app@version` from a local store to the hub: only the blobs it lacks, then the release itself. */
export async function pushRelease(opts: PushOptions): Promise<PushResult> {
  const { conn, store, app, version, signal } = opts;
  const release = await getRelease(store, app, version);
  const all = await releaseBlobs(store, release.manifest);
  const missing = [];
  const skipped: Digest[] = [];
  for (const b of all) {
    if (await hubHas(conn, b.digest, signal)) skipped.push(b.digest);
    else missing.push(b);
  }
  const total = missing.reduce((a, b) => a + b.size, 0);
  let done = 0;
  opts.onProgress?.(0, total);
  for (const b of missing) await uploadBlob(conn, store, b.digest, b.size, (n) => opts.onProgress?.((done += n), total), signal);
  const path = `/apps/${encodeURIComponent(app)}/releases/${encodeURIComponent(version)}`;
  const pushed = await new HubClient(conn).request<{ digest: Digest; created: boolean }>('PUT', path, {
    manifest: release.bytes.toString('base64'),
    signature: release.sig.toString('base64'),
  });
  return { app, version, digest: pushed.digest, sent: missing.map((b) => b.digest), sentBytes: total, skipped, created: pushed.created };
}
