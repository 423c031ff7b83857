// A small typed client for the hub's REST API: --hub/--token (or SKIFF_TOKEN), JSON in and out, errors as one-line SkiffErrors.
import type { Command } from 'commander';
import { fetch } from 'undici';
import { SkiffError, type SkiffErrorCode } from '../util/errors.ts';

export interface HubConnection {
  readonly hub: string;
  readonly token: string;
}

/** Adds the options every hub-talking command takes. */
export function withHubOptions(cmd: Command): Command {
  return cmd
    .option('--hub <url>', 'hub URL, e.g. https://hub.example.com (or SKIFF_HUB)')
    .option('--token <token>', 'API token (or SKIFF_TOKEN)');
}

export function connectionFrom(opts: { hub?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): HubConnection {
  const hub = opts.hub ?? env.SKIFF_HUB;
  const token = opts.token ?? env.SKIFF_TOKEN;
  if (!hub) throw new SkiffError('USAGE', 'no hub given: pass --hub URL or set SKIFF_HUB');
  if (!/^https?:\/\/[^/]+/.test(hub)) throw new SkiffError('USAGE', `--hub "${hub}" is not an http(s) URL`);
  if (!token) throw new SkiffError('USAGE', 'no token given: pass --token or set SKIFF_TOKEN');
  return { hub: hub.replace(/\/+$/, ''), token };
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown };
}

const isCode = (c: unknown): c is SkiffErrorCode => typeof c === 'string' && /^[A-Z][A-Z_]*$/.test(c);

export class HubClient {
  readonly #conn: HubConnection;

  constructor(conn: HubConnection) {
    this.#conn = conn;
  }

  /** Calls `/api/v1${path}`; the hub's `{error:{code,message}}` becomes a SkiffError with that code. */
  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const url = `${this.#conn.hub}/api/v1${path}`;
    let res;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.#conn.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new SkiffError('USAGE', `cannot reach the hub at ${this.#conn.hub}: ${cause?.code ?? cause?.message ?? (e as Error).message}; check --hub`, { cause: e });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const err = (parsed as ErrorBody | undefined)?.error;
      const code = isCode(err?.code) ? err.code : 'INTERNAL';
      const message = typeof err?.message === 'string' ? err.message : `HTTP ${res.status} from ${method} ${url}`;
      throw new SkiffError(code, `hub: ${message.split('\n')[0]}`);
    }
    if (parsed === undefined) throw new SkiffError('INTERNAL', `hub answered ${method} ${url} with a body that is not JSON`);
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }
}

export function clientFrom(opts: { hub?: string; token?: string }): HubClient {
  return new HubClient(connectionFrom(opts));
}
