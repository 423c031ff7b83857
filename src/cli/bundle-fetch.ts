// `skiff bundle fetch`: downloads a release's .skiff bundle (full or delta) from the hub into a temp file, then renames it.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { request } from 'undici';
import { HttpHeader } from '../oci/constants.ts';
import { HashingStream, type Digest } from '../oci/digest.ts';
import { parseAppVersion } from '../release/index.ts';
import { SkiffError, type SkiffErrorCode } from '../util/errors.ts';
import { connectionFrom, withHubOptions, type HubConnection } from './hub-client.ts';
import { progressBar } from './progress.ts';
import { formatBytes, runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

export interface FetchOptions {
  readonly conn: HubConnection;
  readonly app: string;
  readonly version: string;
  /** The version the site runs: the hub sends a delta without the blobs it has. */
  readonly from?: string;
  readonly output: string;
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export interface FetchResult {
  readonly file: string;
  readonly size: number;
  readonly digest: Digest;
}

function errorOf(url: string, status: number, text: string): SkiffError {
  let err: { code?: unknown; message?: unknown } | undefined;
  try {
    err = (JSON.parse(text) as { error?: typeof err }).error;
  } catch {
    err = undefined;
  }
  const code = typeof err?.code === 'string' && /^[A-Z][A-Z_]*$/.test(err.code) ? (err.code as SkiffErrorCode) : 'INTERNAL';
  return new SkiffError(code, `hub: ${typeof err?.message === 'string' ? err.message.split('\n')[0] : `HTTP ${status} from GET ${url}`}`);
}

/** Streams the bundle to a temp file beside `output`, checks its length, and renames it: a failure never leaves a half file. */
export async function fetchBundle(opts: FetchOptions): Promise<FetchResult> {
  const { conn, app, version, from } = opts;
  const url = `${conn.hub}/api/v1/bundles/${encodeURIComponent(app)}/${encodeURIComponent(version)}${from === undefined ? '' : `?from=${encodeURIComponent(from)}`}`;
  const tmp = join(dirname(opts.output), `.${basename(opts.output)}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx').catch((e: unknown) => {
    throw new SkiffError('USAGE', `cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (does its directory exist?)`);
  });
  try {
    const res = await request(url, { method: 'GET', headers: { authorization: `Bearer ${conn.token}` }, signal: opts.signal }).catch((e: unknown) => {
      const cause = (e as { code?: string }).code ?? (e as Error).message;
      throw new SkiffError('USAGE', `cannot reach the hub at ${conn.hub}: ${cause}; check --hub`, { cause: e });
    });
    if (res.statusCode !== 200) throw errorOf(url, res.statusCode, await res.body.text());
    const lengthHeader = res.headers[HttpHeader.contentLength];
    const expected = typeof lengthHeader === 'string' ? Number(lengthHeader) : undefined;
    const hasher = new HashingStream();
    let done = 0;
    const progress = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        done += chunk.length;
        opts.onProgress?.(done, expected ?? done);
        cb(null, chunk);
      },
    });
    await pipeline(res.body, progress, hasher, handle.createWriteStream()).catch((e: unknown) => {
      throw new SkiffError('BUNDLE_TRUNCATED', `the download of ${app}@${version} broke off after ${done} bytes: ${(e as Error).message}; fetch it again`, { cause: e });
    });
    if (expected !== undefined && hasher.size !== expected)
      throw new SkiffError('BUNDLE_TRUNCATED', `the hub announced ${expected} bytes but sent ${hasher.size}: fetch the bundle again`);
    const synced = await open(tmp, 'r+');
    await synced.sync();
    await synced.close();
    await rename(tmp, opts.output);
    return { file: opts.output, size: hasher.size, digest: hasher.digest() };
  } finally {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
  }
}

/** `--from 1.1.0` or `--from netmon@1.1.0`. */
function fromVersion(from: string | undefined, app: string): string | undefined {
  if (from === undefined || !from.includes('@')) return from;
  const b = parseAppVersion(from);
  if (b.app !== app) throw new SkiffError('USAGE', `--from ${from} is another app than ${app}: a delta needs two versions of one app`);
  return b.version;
}

export function bundleFetchCommand(out: Output = process.stdout): Command {
  return withHubOptions(new Command('fetch'))
    .description('download a release from the hub as a .skiff bundle (a delta with --from)')
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .option('--from <version>', 'the version the site runs (VERSION or APP@VERSION): a delta bundle')
    .requiredOption('-o, --output <file>', 'the .skiff file to write')
    .action((ref: string, o: { hub?: string; token?: string; from?: string; output: string }) =>
      runAction(async () => {
        const { app, version } = parseAppVersion(ref);
        const from = fromVersion(o.from, app);
        const conn = connectionFrom(o);
        const bar = progressBar(`fetch ${app}@${version}`);
        const r = await fetchBundle({ conn, app, version, output: o.output, ...(from === undefined ? {} : { from }), onProgress: (d, t) => bar.update(d, t) }).finally(() => bar.stop());
        out.write(`wrote ${r.file}: ${app}@${version}${from === undefined ? ' (full)' : ` (delta from ${from})`}\n`);
        out.write(`size: ${formatBytes(r.size)} (${r.size} bytes)\n`);
        out.write(`sha256: ${r.digest.slice('sha256:'.length)}\n`);
      }),
    );
}
