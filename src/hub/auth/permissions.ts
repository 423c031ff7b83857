// Roles and token scopes: what each vendor role may do, and which scopes an API token may carry.
import type { Role } from '../db/types.ts';

export const SCOPES = [
  'read',
  'release:push',
  'channel:write',
  'app:write',
  'customer:read',
  'customer:write',
  'token:write',
  'user:admin',
  'audit:read',
  'metrics:read',
] as const;
export type Scope = (typeof SCOPES)[number];

const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  admin: SCOPES,
  'release-manager': ['read', 'release:push', 'channel:write', 'app:write', 'customer:read', 'token:write', 'metrics:read'],
  support: ['read', 'customer:read', 'customer:write', 'token:write', 'metrics:read'],
  viewer: ['read', 'customer:read', 'metrics:read'],
};

export function roleScopes(role: Role): readonly Scope[] {
  return ROLE_SCOPES[role];
}

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}
