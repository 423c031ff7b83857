// One HTTP call to the hub with the caller's token, through the route dispatcher.ts picks (proxy, private CA);
// idempotent requests are retried with back-off and jitter on connection failures and on 429/502/503/504, so a hub
// restart or a brief outage does not fail a command (a certificate the hub fails is not retried: it will not heal).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import type { HubConnection } from './connection.ts';
import { hubRoute } from './dispatcher.ts';
import { isCertificateError, unreachable } from './errors.ts';
import { loadUndici } from '../util/index.ts';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const IDEMPOTENT: ReadonlySet<Method> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const RETRY_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export interface RetryPolicy {
  /** Attempts in all (1 = no retry). */
  readonly attempts: number;
  /** The first wait; each next one doubles, up to `maxDelayMs`, each with ±50 % jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 5_000 };

/** The wait before retry number `n` (1-based): exponential, capped, jittered so that many clients do not retry in step. */
export function backoffDelay(n: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  return Math.round(exp * (0.5 + random()));
}

export interface SendOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** A body factory, so that a retried request sends its body again from the start. */
  readonly body?: () => string | Buffer | Readable;
  readonly signal?: AbortSignal;
  readonly retry?: RetryPolicy;
  /** What to tell the user when the hub cannot be reached. */
  readonly hint?: string;
}

/** Sends `method url` with the token; the caller reads or dumps the body. Retries only what is safe to repeat. */
export async function send(conn: HubConnection, method: Method, url: string, opts: SendOptions = {}): Promise<Dispatcher.ResponseData> {
  const policy = IDEMPOTENT.has(method) ? (opts.retry ?? DEFAULT_RETRY) : { ...DEFAULT_RETRY, attempts: 1 };
  const route = await hubRoute(conn.hub, conn.ca);
  const { request } = await loadUndici();
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= policy.attempts;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method,
        headers: { ...(conn.token ? { authorization: `Bearer ${conn.token}` } : {}), ...opts.headers },
        body: opts.body?.(),
        signal: opts.signal,
        dispatcher: route.dispatcher,
      });
    } catch (e) {
      if (last || opts.signal?.aborted || isCertificateError(e)) throw unreachable(conn.hub, e, opts.hint, route);
      await sleep(backoffDelay(attempt, policy), undefined, { signal: opts.signal });
      continue;
    }
    if (last || !RETRY_STATUS.has(res.statusCode)) return res;
    await res.body.dump();
    const after = Number(res.headers['retry-after']);
    const wait = Number.isFinite(after) && after > 0 ? Math.min(after * 1000, policy.maxDelayMs) : backoffDelay(attempt, policy);
    await sleep(wait, undefined, { signal: opts.signal });
  }
}
