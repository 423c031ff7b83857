// The typed REST client of the hub's /api/v1: JSON in and out, the hub's errors as SkiffErrors with their codes.
import type { HubConnection } from './connection.ts';
import { hubError } from './errors.ts';
import { send, type Method, type RetryPolicy } from './http.ts';

export class HubClient {
  readonly #conn: HubConnection;
  readonly #retry: RetryPolicy | undefined;

  constructor(conn: HubConnection, opts: { retry?: RetryPolicy } = {}) {
    this.#conn = conn;
    this.#retry = opts.retry;
  }

  get connection(): HubConnection {
    return this.#conn;
  }

  /** Calls `/api/v1${path}`; idempotent methods are retried on outages. A 204 (No Content) answer gives undefined. */
  async request<T>(method: Exclude<Method, 'HEAD'>, path: string, body?: unknown): Promise<T> {
    const url = `${this.#conn.hub}/api/v1${path}`;
    const json = body === undefined ? undefined : JSON.stringify(body);
    const res = await send(this.#conn, method, url, {
      headers: json === undefined ? {} : { 'content-type': 'application/json' },
      ...(json === undefined ? {} : { body: () => json }),
      ...(this.#retry ? { retry: this.#retry } : {}),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) throw hubError(res.statusCode, text, method, url);
    if (res.statusCode === 204) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw hubError(502, '', method, url);
    }
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }
}
