// `skiff release push`: uploads the blobs of a release the hub lacks (HEAD first, streamed PUTs), then the signed release.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { request } from 'undici';
import { HttpHeader } from '../oci/constants.ts';
import type { Digest } from '../oci/digest.ts';
import { getRelease, parseAppVersion, releaseBlobs } from '../release/index.ts';
import { FsBlobStore } from '../store/index.ts';
import { SkiffError, type SkiffErrorCode } from '../util/errors.ts';
import { HubClient, connectionFrom, withHubOptions, type HubConnection } from './hub-client.ts';
import { progressBar } from './progress.ts';
import { formatBytes, runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

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

const blobUrl = (conn: HubConnection, digest: Digest): string => `${conn.hub}/api/v1/blobs/${digest}`;

async function hubError(method: string, url: string, res: { statusCode: number; body: { text(): Promise<string> } }): Promise<SkiffError> {
  let err: { code?: unknown; message?: unknown } | undefined;
  try {
    err = (JSON.parse(await res.body.text()) as { error?: typeof err }).error;
  } catch {
    err = undefined;
  }
  const code = typeof err?.code === 'string' && /^[A-Z][A-Z_]*$/.test(err.code) ? (err.code as SkiffErrorCode) : 'INTERNAL';
  const message = typeof err?.message === 'string' ? err.message : `HTTP ${res.statusCode} from ${method} ${url}`;
  return new SkiffError(code, `hub: ${message.split('\n')[0]}`);
}

async function send(conn: HubConnection, method: 'HEAD' | 'PUT', url: string, extra: Parameters<typeof request>[1] = {}) {
  try {
    return await request(url, { ...extra, method, headers: { authorization: `Bearer ${conn.token}`, ...(extra.headers as Record<string, string> | undefined) } });
  } catch (e) {
    const cause = (e as { code?: string; cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code ?? (e as Error).message;
    throw new SkiffError('USAGE', `cannot reach the hub at ${conn.hub}: ${cause}; check --hub (rerun the push: blobs already sent are kept)`, { cause: e });
  }
}

/** Whether the hub already has `digest`. */
async function hubHas(conn: HubConnection, digest: Digest, signal?: AbortSignal): Promise<boolean> {
  const url = blobUrl(conn, digest);
  const res = await send(conn, 'HEAD', url, { signal });
  await res.body.dump();
  if (res.statusCode === 200) return true;
  if (res.statusCode === 404) return false;
  throw new SkiffError(res.statusCode === 401 ? 'UNAUTHORIZED' : res.statusCode === 403 ? 'FORBIDDEN' : 'INTERNAL', `hub: HEAD ${url} answered ${res.statusCode}; check the token has the release:push permission`);
}

async function uploadBlob(conn: HubConnection, store: FsBlobStore, digest: Digest, size: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
  const url = blobUrl(conn, digest);
  const counted = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  pipeline(await store.get(digest, { signal }), counted).catch(() => undefined);
  const res = await send(conn, 'PUT', url, {
    body: counted,
    signal,
    headers: { [HttpHeader.contentType]: 'application/octet-stream', [HttpHeader.contentLength]: String(size) },
  });
  if (res.statusCode !== 201) throw await hubError('PUT', url, res);
  await res.body.dump();
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
  for (const b of missing)
    await uploadBlob(conn, store, b.digest, b.size, (n) => opts.onProgress?.((done += n), total), signal);
  const client = new HubClient(conn);
  const path = `/apps/${encodeURIComponent(app)}/releases/${encodeURIComponent(version)}`;
  const pushed = await client.request<{ digest: Digest; created: boolean }>('PUT', path, { manifest: release.bytes.toString('base64'), signature: release.sig.toString('base64') });
  return {
    app,
    version,
    digest: pushed.digest,
    sent: missing.map((b) => b.digest),
    sentBytes: total,
    skipped,
    created: pushed.created,
  };
}

export function releasePushCommand(out: Output = process.stdout): Command {
  return withHubOptions(new Command('push'))
    .description('upload a release from a store to the hub: only the blobs the hub lacks, then the signed release')
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .requiredOption('--store <dir>', 'content store holding the release')
    .action((ref: string, o: { hub?: string; token?: string; store: string }) =>
      runAction(async () => {
        const { app, version } = parseAppVersion(ref);
        const bar = progressBar(`push ${app}@${version}`);
        const r = await pushRelease({ conn: connectionFrom(o), store: new FsBlobStore(o.store), app, version, onProgress: (d, t) => bar.update(d, t) }).finally(() => bar.stop());
        out.write(`pushed ${r.app}@${r.version}${r.created ? '' : ' (the hub already had it)'}\n`);
        out.write(`blobs: ${r.sent.length} sent (${formatBytes(r.sentBytes)}), ${r.skipped.length} already on the hub\n`);
        out.write(`release digest: ${r.digest}\n`);
      }),
    );
}
