// The console's one client of the hub: the public REST API under /api/v1, authenticated by the session cookie; every
// change carries X-Skiff-CSRF (the hub refuses a cookie-authenticated change without it). Errors carry the hub's message.
// Calls name the hub's route (`api.get('/rollouts/:id', { params: { id } })`) and are typed by web/src/api-types.ts.
import type { Operations } from './api-types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown, etag?: string): Promise<T> {
  return (await exchange<T>(method, path, body, etag)).data as T;
}

/** One request; `etag` asks for a 304 (data undefined) when the answer has not changed since. */
async function exchange<T>(method: string, path: string, body?: unknown, etag?: string): Promise<{ data: T | undefined; etag: string | undefined }> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    // The poller keeps the last answer itself: the browser's cache would hide the 304.
    cache: etag === undefined ? 'default' : 'no-store',
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'GET' ? {} : { 'x-skiff-csrf': '1' }),
      ...(etag === undefined ? {} : { 'if-none-match': etag }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 304) return { data: undefined, etag };
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : {};
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? `the hub answered ${res.status}`);
  }
  return { data: json as T, etag: res.headers.get('etag') ?? undefined };
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** The routes of a method, as the hub names them ("/rollouts/:id"). */
export type PathOf<M extends Method> = { [K in keyof Operations]: K extends `${M} ${infer P}` ? P : never }[keyof Operations];
export type Op<M extends Method, P extends PathOf<M>> = Operations[`${M} ${P}` & keyof Operations];
/** What the route answers. */
export type ResponseOf<M extends Method, P extends PathOf<M>> = Op<M, P>['response'];
type Query<O extends { query: unknown }> = [O['query']] extends [never] ? never : O['query'];
/** Path parameters are required when the route has some; the query is optional. */
export type Args<O extends { params: unknown; query: unknown }> = string extends keyof O['params'] ? [opts?: { query?: Query<O> }] : [opts: { params: O['params']; query?: Query<O> }];

/** The route's path with its parameters filled in and the query appended. */
export function url(route: string, opts?: { params?: unknown; query?: unknown }): string {
  const params = (opts?.params ?? {}) as Record<string, string>;
  const filled = route.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries((opts?.query ?? {}) as Record<string, unknown>)) if (v !== undefined && v !== '') query.set(k, String(v));
  const q = query.toString();
  return q ? `${filled}?${q}` : filled;
}

function get<P extends PathOf<'GET'>>(route: P, ...args: Args<Op<'GET', P>>): Promise<ResponseOf<'GET', P>>;
/** An untyped read (a path built by hand); a route's own name must take the typed form above. */
function get<T = unknown, S extends string = string>(path: S & (S extends PathOf<'GET'> ? never : unknown)): Promise<T>;
function get(route: string, opts?: { params?: unknown; query?: unknown }): Promise<unknown> {
  return call('GET', url(route, opts));
}
function post<P extends PathOf<'POST'>>(route: P, body: Op<'POST', P>['body'], ...args: Args<Op<'POST', P>>): Promise<ResponseOf<'POST', P>>;
function post<T = unknown>(path: string, body?: unknown): Promise<T>;
function post(route: string, body: unknown = {}, opts?: { params?: unknown; query?: unknown }): Promise<unknown> {
  return call('POST', url(route, opts), body);
}

/** A read that may answer "unchanged" (data undefined) when given the ETag of the last answer. */
export function getIfChanged<P extends PathOf<'GET'>>(route: P, etag: string | undefined, ...args: Args<Op<'GET', P>>): Promise<{ data: ResponseOf<'GET', P> | undefined; etag: string | undefined }> {
  const [opts] = args as [{ params?: unknown; query?: unknown }?];
  return exchange<ResponseOf<'GET', P>>('GET', url(route, opts), undefined, etag);
}

function del<P extends PathOf<'DELETE'>>(route: P, ...args: Args<Op<'DELETE', P>>): Promise<ResponseOf<'DELETE', P>> {
  const [opts] = args as [{ params?: unknown; query?: unknown }?];
  return call('DELETE', url(route, opts));
}
function patch<P extends PathOf<'PATCH'>>(route: P, body: Op<'PATCH', P>['body'], ...args: Args<Op<'PATCH', P>>): Promise<ResponseOf<'PATCH', P>> {
  const [opts] = args as [{ params?: unknown; query?: unknown }?];
  return call('PATCH', url(route, opts), body);
}

export const api = { get, post, del, patch };

export type Scope = 'read' | 'release:push' | 'channel:write' | 'app:write' | 'customer:read' | 'customer:write' | 'token:write' | 'user:admin' | 'audit:read';

/** Who is signed in: a vendor user or a customer (its token, or one of its users), as GET /session answers. */
export type Me = Extract<ResponseOf<'GET', '/session'>, { kind: 'user' | 'customer' }>;

// The hub's documented answers, as the generated client types them.
export type App = ResponseOf<'GET', '/apps'>['apps'][number];
export type Release = ResponseOf<'GET', '/apps/:app/releases'>['releases'][number];
export type Channel = ResponseOf<'GET', '/apps/:app/channels'>['channels'][number];
export type Customer = ResponseOf<'GET', '/customers'>['customers'][number];
export type Instance = ResponseOf<'GET', '/instances'>['instances'][number];
export type AuditEntry = ResponseOf<'GET', '/audit'>['entries'][number];

/** "3 min ago" for a timestamp; "never" for none. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
