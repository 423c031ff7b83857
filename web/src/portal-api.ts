// The customer portal's calls beyond web/src/api.ts: raw uploads, and a bundle's size by HEAD before its
// download. Same rules: the public /api/v1, the session cookie, X-Skiff-CSRF on every change.
import { ApiError, type ResponseOf } from './api.ts';

export type CustomerRole = 'customer-admin' | 'customer-viewer';
export type PortalMe = Extract<ResponseOf<'GET', '/session'>, { kind: 'customer' }>;
export type SitePolicy = ResponseOf<'GET', '/customers/:customer/apps/:app/policy'>;
export type MaintenanceWindow = SitePolicy['windows'][number];
export type ReleaseNotes = ResponseOf<'GET', '/apps/:app/notes'>;
export type Approval = ResponseOf<'GET', '/customers/:customer/apps/:app/approval'>;
export type CustomerUser = ResponseOf<'GET', '/customers/:customer/users'>['users'][number];

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  let err: { code?: string; message?: string } | undefined;
  try {
    err = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  } catch {
    err = undefined;
  }
  return new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? `the hub answered ${res.status}`);
}

/** A change with any body: JSON for objects, the bytes as they are for a file. */
export async function send<T>(method: 'PATCH' | 'PUT' | 'POST', path: string, body: unknown, contentType = 'application/json'): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': contentType, 'x-skiff-csrf': '1' },
    body: body instanceof Blob ? body : JSON.stringify(body),
  });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export const bundlePath = (app: string, version: string, from?: string): string =>
  `/api/v1/bundles/${encodeURIComponent(app)}/${encodeURIComponent(version)}${from ? `?from=${encodeURIComponent(from)}` : ''}`;

/** The bundle's size in bytes, from a HEAD (the hub computes it without building the bundle). */
export async function bundleSize(app: string, version: string, from?: string): Promise<number> {
  const res = await fetch(bundlePath(app, version, from), { method: 'HEAD', credentials: 'same-origin' });
  if (!res.ok) throw new ApiError(res.status, 'HTTP', res.status === 409 ? `install the required release first: ${version} would skip it` : `the hub answered ${res.status} for this bundle`);
  return Number(res.headers.get('content-length') ?? 0);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export const errorText = (e: unknown): string => (e instanceof ApiError ? e.message : 'the hub cannot be reached; try again');
