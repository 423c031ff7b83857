// Who is calling: resolves a Bearer or Basic credential to a vendor user or a customer (also the /v2/ authenticate hook).
import type { FastifyRequest } from 'fastify';
import type { CustomerRole, MetadataDb, Role } from '../db/types.ts';
import { SkiffError } from '../../util/index.ts';
import { GenerationCache } from '../generation.ts';
import { roleScopes, type Scope } from './permissions.ts';
import { hashToken, sameHash } from './secrets.ts';

export interface UserPrincipal {
  readonly kind: 'user';
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  /** The role's scopes, narrowed by the token's own scopes for API tokens. */
  readonly scopes: ReadonlySet<Scope>;
  readonly tokenId: string;
}

export interface CustomerPrincipal {
  readonly kind: 'customer';
  readonly customerId: string;
  readonly customerName: string;
  readonly tokenId: string;
  /** The customer user signed in (the portal); absent for the customer's own token, which acts as a customer-admin. */
  readonly user?: { readonly id: string; readonly username: string; readonly role: CustomerRole };
}

/** An enrolled agent: it sees its own app through its customer's entitlement, and speaks for itself only. */
export interface InstancePrincipal {
  readonly kind: 'instance';
  readonly instanceId: string;
  readonly customerId: string;
  readonly customerName: string;
  readonly app: string;
  readonly tokenId: string;
}

export type Principal = UserPrincipal | CustomerPrincipal | InstancePrincipal;

/** The secret carried by an Authorization header: `Bearer <token>`, or Basic with the token as password (docker login). */
export function credentialOf(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value, extra] = authorization.trim().split(/\s+/);
  if (!scheme || !value || extra !== undefined) throw new SkiffError('UNAUTHORIZED', 'Authorization header is malformed; send "Bearer <token>"');
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new SkiffError('UNAUTHORIZED', 'Basic credentials are malformed; send user:token');
    return decoded.slice(colon + 1);
  }
  throw new SkiffError('UNAUTHORIZED', `Authorization scheme "${scheme.slice(0, 20)}" is not supported; send "Bearer <token>"`);
}

const TOKEN = /^sk[hci]_[A-Za-z0-9_-]{43}$/;
const denied = (): SkiffError => new SkiffError('UNAUTHORIZED', 'token is unknown, revoked or expired; log in again or ask for a new token');

/** Resolves a token to its principal; UNAUTHORIZED when unknown, revoked, expired or its owner is gone. */
export async function resolveToken(db: MetadataDb, token: string, now: Date = new Date()): Promise<Principal> {
  if (!TOKEN.test(token)) throw denied();
  return (await resolveHash(db, hashToken(token), now)).principal;
}

/** The principal of a token's hash, and until when the token is valid (ms since the epoch; Infinity when it does not expire). */
async function resolveHash(db: MetadataDb, hash: string, now: Date): Promise<{ principal: Principal; expiresAtMs: number }> {
  const rec = await db.getTokenByHash(hash);
  if (!rec || !sameHash(rec.hash, hash) || rec.revokedAt !== null) throw denied();
  const expiresAtMs = rec.expiresAt === null ? Infinity : Date.parse(rec.expiresAt);
  if (expiresAtMs <= now.getTime()) throw denied();
  if (rec.kind === 'customer') {
    const c = rec.customerId === null ? undefined : await db.getCustomer(rec.customerId);
    if (!c) throw denied();
    return { principal: { kind: 'customer', customerId: c.id, customerName: c.name, tokenId: rec.id }, expiresAtMs };
  }
  if (rec.kind === 'instance') {
    const i = rec.instanceId === null ? undefined : await db.getInstance(rec.instanceId);
    const c = i && i.revokedAt === null ? await db.getCustomer(i.customerId) : undefined;
    if (!i || !c) throw denied();
    return { principal: { kind: 'instance', instanceId: i.id, customerId: c.id, customerName: c.name, app: i.app, tokenId: rec.id }, expiresAtMs };
  }
  if (rec.userId !== null && rec.customerId !== null) {
    const cu = await db.customerUsers.get(rec.userId);
    const c = cu && (await db.getCustomer(cu.customerId));
    if (!cu || !c) throw denied();
    return { principal: { kind: 'customer', customerId: c.id, customerName: c.name, tokenId: rec.id, user: { id: cu.id, username: cu.username, role: cu.role } }, expiresAtMs };
  }
  const u = rec.userId === null ? undefined : await db.getUser(rec.userId);
  if (!u) throw denied();
  const allowed = roleScopes(u.role);
  const scopes = rec.kind === 'api' ? allowed.filter((s) => rec.scopes.includes(s)) : allowed;
  return { principal: { kind: 'user', userId: u.id, username: u.username, role: u.role, scopes: new Set(scopes), tokenId: rec.id }, expiresAtMs };
}

/**
 * resolveToken through a per-replica cache: a principal resolved under the hub's generation is reused while the
 * generation is unchanged (a revoke, a deleted user or customer, a role change all move it on) and the token unexpired.
 * Unknown tokens are not kept.
 */
export class PrincipalCache {
  readonly #db: MetadataDb;
  readonly #cache = new GenerationCache<{ principal: Principal; expiresAtMs: number }>();
  readonly #byHeader = new GenerationCache<{ principal: Principal; expiresAtMs: number }>();

  constructor(db: MetadataDb) {
    this.#db = db;
  }

  /** The principal resolved for this token under `generation`, if it is cached and the token unexpired (no I/O). */
  cached(token: string, generation: number, now: Date = new Date()): Principal | undefined {
    if (!TOKEN.test(token)) return undefined;
    const hit = this.#cache.get(generation, hashToken(token));
    return hit && now.getTime() < hit.expiresAtMs ? hit.principal : undefined;
  }

  /**
   * cached() for a whole Authorization header, remembered byte for byte, so that the common poll costs neither the
   * header's parse nor the token's hash (undefined for a malformed header: the slow path answers it).
   */
  cachedForHeader(authorization: string, generation: number, nowMs: number = Date.now()): Principal | undefined {
    let hit = this.#byHeader.get(generation, authorization);
    if (!hit) {
      let token: string | undefined;
      try {
        token = credentialOf(authorization);
      } catch {
        return undefined;
      }
      if (token === undefined || !TOKEN.test(token)) return undefined;
      hit = this.#cache.get(generation, hashToken(token));
      if (!hit) return undefined;
      this.#byHeader.set(generation, authorization, hit);
    }
    return nowMs < hit.expiresAtMs ? hit.principal : undefined;
  }

  async resolve(token: string, generation: number, now: Date = new Date()): Promise<Principal> {
    const hit = this.cached(token, generation, now);
    if (hit) return hit;
    if (!TOKEN.test(token)) throw denied();
    const hash = hashToken(token);
    const resolved = await resolveHash(this.#db, hash, now);
    this.#cache.set(generation, hash, resolved);
    return resolved.principal;
  }
}

/** The authenticate hook: a header in, a principal (or undefined when no credential was sent) out. */
export function makeAuthenticator(db: MetadataDb): (authorization: string | undefined) => Promise<Principal | undefined> {
  return async (authorization) => {
    const token = credentialOf(authorization);
    return token === undefined ? undefined : resolveToken(db, token);
  };
}

/**
 * The same resolution as a per-request hook with the shape the /v2/ distributionPlugin takes (`authenticate(req)`):
 * reuses the principal the hub's onRequest hook already resolved; `required` turns a missing credential into UNAUTHORIZED.
 */
export function requestAuthenticator(db: MetadataDb, opts: { required?: boolean } = {}): (req: FastifyRequest) => Promise<Principal | undefined> {
  const authenticate = makeAuthenticator(db);
  return async (req) => {
    const p = req.principal ?? (await authenticate(req.headers.authorization));
    if (!p && opts.required) throw new SkiffError('UNAUTHORIZED', 'this registry needs a token: docker login with any user name and the token as password');
    return p;
  };
}

export function actorOf(p: Principal | undefined): string {
  if (!p) return 'anonymous';
  if (p.kind === 'instance') return `instance:${p.customerName}/${p.instanceId}`;
  if (p.kind === 'customer' && p.user) return `customer:${p.customerName}/user:${p.user.username}`;
  return p.kind === 'user' ? `user:${p.username}` : `customer:${p.customerName}`;
}
