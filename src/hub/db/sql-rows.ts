// Row shapes as both databases return them (snake_case columns) and their mapping to the MetadataDb records.
import { semver } from '../../util/index-semver.ts';
import { SkiffError } from '../../util/index.ts';
import type { AuditEntry, InstanceRecord, ReleaseRecord, Role, RootRecord, TokenKind, TokenRecord, UserRecord } from './types.ts';

export interface UserRow { id: string; username: string; password_hash: string; role: string; created_at: string }
export interface TokenRow {
  id: string; kind: string; hash: string; name: string; user_id: string | null; customer_id: string | null;
  scopes: string; created_at: string; expires_at: string | null; revoked_at: string | null; instance_id?: string | null;
}
export interface RootRow { app: string; version: number; root: Uint8Array; created_at: string }
export interface ReleaseRow {
  app: string; version: string; digest: string; manifest: Uint8Array; signature: Uint8Array; created_at: string; visible: number;
}
export interface InstanceRow {
  id: string; customer_id: string; app: string; name: string; current_version: string | null; desired_version: string | null;
  health: string | null; last_seen_at: string | null; created_at: string;
  public_key?: string | null; facts?: string; revoked_at?: string | null; install_now?: number; pinned_version?: string | null;
  windows?: string; report?: string | null; blocked_reason?: string | null; tags?: string;
}
export interface AuditRow {
  id: number; at: string; actor: string; action: string; target: string; address: string; details: string; prev_hash: string; hash: string;
}

export const toUser = (r: UserRow): UserRecord => ({
  id: r.id, username: r.username, passwordHash: r.password_hash, role: r.role as Role, createdAt: r.created_at,
});

export const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id, kind: r.kind as TokenKind, hash: r.hash, name: r.name, userId: r.user_id, customerId: r.customer_id, instanceId: r.instance_id ?? null,
  scopes: JSON.parse(r.scopes) as string[], createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at,
});

export const toRoot = (r: RootRow): RootRecord => ({
  app: r.app, version: Number(r.version), root: new Uint8Array(r.root), createdAt: r.created_at,
});

export const toRelease = (r: ReleaseRow): ReleaseRecord => ({
  app: r.app, version: r.version, digest: r.digest, manifest: new Uint8Array(r.manifest), signature: new Uint8Array(r.signature),
  createdAt: r.created_at, visible: Number(r.visible) === 1,
});

export const toInstance = (r: InstanceRow): InstanceRecord => ({
  id: r.id, customerId: r.customer_id, app: r.app, name: r.name, currentVersion: r.current_version,
  desiredVersion: r.desired_version, health: r.health, lastSeenAt: r.last_seen_at, createdAt: r.created_at,
  publicKey: r.public_key ?? null, facts: JSON.parse(r.facts ?? '{}') as Record<string, string>, revokedAt: r.revoked_at ?? null,
  installNow: Number(r.install_now ?? 0) === 1, pinnedVersion: r.pinned_version ?? null, windows: JSON.parse(r.windows ?? '[]') as unknown[],
  report: r.report ? (JSON.parse(r.report) as Record<string, unknown>) : null, blockedReason: r.blocked_reason ?? null,
  tags: JSON.parse(r.tags ?? '{}') as Record<string, string>,
});

export const toAudit = (r: AuditRow): AuditEntry => ({
  id: Number(r.id), at: r.at, actor: r.actor, action: r.action, target: r.target, address: r.address,
  details: JSON.parse(r.details) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash,
});

export function bySemver<T extends { version: string }>(a: T, b: T): number {
  return semver.compare(a.version, b.version);
}

/** Dates from users become ISO-8601 UTC strings so the databases compare them as text. */
export function isoDate(value: string | null, what: string): string | null {
  if (value === null) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new SkiffError('INVALID_INPUT', `${what} "${value}" is not a date (use YYYY-MM-DD or ISO 8601)`);
  return new Date(t).toISOString();
}
