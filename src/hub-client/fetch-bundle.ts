// Downloads a release's .skiff bundle (full, or a delta from the release a site runs) into `<output>.part`, resuming
// with Range + If-Range after a cut connection (bundles are byte-identical, so the tail of a resumed download fits its
// head), then checks the length, syncs and renames: a failure never leaves a half file under the output name.
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpHeader, type Digest } from '../oci/index.ts';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';
import type { HubConnection } from './connection.ts';
import { hubError } from './errors.ts';
import { backoffDelay, DEFAULT_RETRY, send, type RetryPolicy } from './http.ts';
import { throttle } from './throttle.ts';

export interface FetchOptions {
  readonly conn: HubConnection;
  readonly app: string;
  readonly version: string;
  /** The version the site runs: the hub sends a delta without the blobs it has; several: a delta for a site holding any one. */
  readonly from?: string | readonly string[];
  readonly output: string;
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
  /** How often a cut download is resumed before giving up. */
  readonly retry?: RetryPolicy;
  /** A bandwidth limit in bytes per second. */
  readonly bytesPerSecond?: number;
}

export interface FetchResult {
  readonly file: string;
  readonly size: number;
  readonly digest: Digest;
  /** Bytes received over the network in all attempts (≥ size when a download was resumed). */
  readonly received: number;
  readonly attempts: number;
}

/** What the partial file is a prefix of, so that a later run resumes only the same bytes. */
interface PartMeta {
  readonly url: string;
  readonly etag: string;
  readonly size: number;
}

export function bundleUrl(conn: HubConnection, app: string, version: string, from: string | readonly string[] = []): string {
  const froms = typeof from === 'string' ? [from] : from;
  const q = froms.length === 0 ? '' : `?${froms.map((f) => `from=${encodeURIComponent(f)}`).join('&')}`;
  return `${conn.hub}/api/v1/bundles/${encodeURIComponent(app)}/${encodeURIComponent(version)}${q}`;
}

async function readMeta(file: string): Promise<PartMeta | undefined> {
  try {
    const m = JSON.parse(await readFile(file, 'utf8')) as Partial<PartMeta>;
    return typeof m.url === 'string' && typeof m.etag === 'string' && typeof m.size === 'number' ? (m as PartMeta) : undefined;
  } catch {
    return undefined;
  }
}

const sizeOf = (file: string): Promise<number> => stat(file).then((s) => s.size, () => 0);

/** Streams the bundle into `<output>.part` (resuming it when it belongs to the same bundle), then renames it. */
export async function fetchBundle(opts: FetchOptions): Promise<FetchResult> {
  const url = bundleUrl(opts.conn, opts.app, opts.version, opts.from);
  const part = `${opts.output}.part`;
  const metaFile = `${part}.json`;
  const policy = opts.retry ?? DEFAULT_RETRY;
  const meta = await readMeta(metaFile);
  let etag = meta?.url === url ? meta.etag : undefined;
  let have = etag === undefined ? 0 : await sizeOf(part);
  if (etag === undefined) await rm(part, { force: true });
  let received = 0;
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = have > 0 && etag !== undefined ? { range: `bytes=${have}-`, 'if-range': etag } : {};
    const res = await send(opts.conn, 'GET', url, { headers, signal: opts.signal, retry: policy });
    if (res.statusCode !== 200 && res.statusCode !== 206) throw hubError(res.statusCode, await res.body.text(), 'GET', url);
    const total = totalOf(res.statusCode, res.headers, url);
    if (res.statusCode === 200) have = 0;
    etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
    if (etag !== undefined) await writeFile(metaFile, JSON.stringify({ url, etag, size: total } satisfies PartMeta));
    const handle = await open(part, have === 0 ? 'w' : 'a').catch((e: unknown) => {
      throw new SkiffError('USAGE', fsErrorMessage(e, 'the bundle', { path: opts.output, fix: 'create its directory first' }) ?? `cannot write the bundle ${opts.output}: ${errorMessage(e)}`, { cause: e });
    });
    const limit = opts.bytesPerSecond ? throttle(opts.bytesPerSecond) : undefined;
    let broke: unknown;
    try {
      // One chunk at a time, written before it is counted, so a break loses at most what was in flight.
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        await handle.write(chunk);
        have += chunk.length;
        received += chunk.length;
        opts.onProgress?.(have, total);
        await limit?.(chunk.length);
      }
    } catch (e) {
      broke = e;
    } finally {
      await handle.close().catch(() => undefined);
    }
    // The file is the truth of what arrived: resume from its length.
    have = await sizeOf(part);
    if (broke === undefined && have === total) return finish(part, metaFile, opts.output, received, attempt);
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (attempt >= policy.attempts || etag === undefined) {
      if (etag === undefined) await rm(part, { force: true });
      throw new SkiffError('BUNDLE_TRUNCATED', `the download of ${opts.app}@${opts.version} broke off at ${have} of ${total} bytes${broke ? `: ${(broke as Error).message}` : ''}; run it again to resume`, { cause: broke });
    }
    await sleep(backoffDelay(attempt, policy), undefined, { signal: opts.signal });
  }
}

function totalOf(status: number, headers: Record<string, string | string[] | undefined>, url: string): number {
  if (status === 206) {
    const m = /^bytes \d+-\d+\/(\d+)$/.exec(String(headers[HttpHeader.contentRange] ?? ''));
    if (m?.[1]) return Number(m[1]);
  } else if (typeof headers[HttpHeader.contentLength] === 'string') return Number(headers[HttpHeader.contentLength]);
  throw new SkiffError('BUNDLE_TRUNCATED', `the hub answered GET ${url} without the bundle's length; is a proxy in between rewriting it?`);
}

/** Hashes the finished file, syncs it and renames it into place. */
async function finish(part: string, metaFile: string, output: string, received: number, attempts: number): Promise<FetchResult> {
  const hash = createHash('sha256');
  let size = 0;
  const handle = await open(part, 'r+');
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(part, output);
  await rm(metaFile, { force: true });
  return { file: output, size, digest: `sha256:${hash.digest('hex')}`, received, attempts };
}
