// The console's one client of the hub: the public REST API under /api/v1, authenticated by the session cookie; every
// change carries X-Skiff-CSRF (the hub refuses a cookie-authenticated change without it). Errors carry the hub's message.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(method === 'GET' ? {} : { 'x-skiff-csrf': '1' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : {};
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? `the hub answered ${res.status}`);
  }
  return json as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => call<T>('POST', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};

export type Scope = 'read' | 'release:push' | 'channel:write' | 'app:write' | 'customer:read' | 'customer:write' | 'token:write' | 'user:admin' | 'audit:read';

export type Me = { kind: 'user'; username: string; role: string; scopes: Scope[] } | { kind: 'customer'; customer: string };

export interface App {
  name: string;
  createdAt: string;
}
export interface Release {
  app: string;
  version: string;
  digest: string;
  createdAt: string;
}
export interface Channel {
  app: string;
  name: string;
  releases: { version: string; required: boolean; promotedAt: string }[];
}
export interface Customer {
  id: string;
  name: string;
  airgapped: boolean;
  createdAt: string;
  entitlements: { app: string; channel: string; expiresAt: string | null }[];
}
export interface Instance {
  id: string;
  name: string;
  customer: string;
  app: string;
  currentVersion: string | null;
  desiredVersion: string | null;
  health: string | null;
  phase: string | null;
  lastError: string | null;
  lastSeenAt: string | null;
  revokedAt: string | null;
}
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
}

/** "3 min ago" for a timestamp; "never" for none. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
