// What every route plugin shares: the hub's dependencies, the caller's principal, access checks, and mutate (a change and its audit entry, one transaction).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import type { LoginLimiter } from './auth/login-limiter.ts';
import type { Scope } from './auth/permissions.ts';
import { actorOf, type Principal, type UserPrincipal } from './auth/principal.ts';
import type { AuditInput, MetadataDb, MetadataTx } from './db/types.ts';
import { notFound, requireScope, type HubAccess } from './access.ts';
import type { Sealer } from './auth/sealing.ts';
import type { DesiredStates } from './desired.ts';
import type { SiteValues } from './values.ts';
import type { LogSink } from './logs/sink.ts';
import type { HubMetrics } from './metrics/hub-metrics.ts';
import type { AlertEvaluator } from './alerts/evaluator.ts';
import type { EncryptedBundleCache } from './encrypted-bundles.ts';

export interface HubDeps {
  readonly db: MetadataDb;
  readonly blobs: BlobStore;
  readonly loginLimiter: LoginLimiter;
  /** Who may see what: every read route and /v2/ ask it. */
  readonly access: HubAccess;
  /** Seals secrets at rest (the apps' timestamp keys). */
  readonly sealer: Sealer;
  readonly desired: DesiredStates;
  /** Per-site values: stored, sealed, checked against releases. */
  readonly values: SiteValues;
  /** The password check (scrypt); a seam so tests can count how often a login hashes. */
  readonly verifyPassword: (password: string, stored: string) => Promise<boolean>;
  /** Receives every log line stored (after deduplication), e.g. the syslog forwarder; must not throw or block. */
  readonly logSink?: LogSink;
  /** The hub's Prometheus metrics (GET /metrics); paths that count something increment its counters. */
  readonly metrics: HubMetrics;
  /** The hub's own alert rules; `onTransition` is where notifications (webhooks) subscribe. */
  readonly alerts: AlertEvaluator;
  /** Bundles for customers with a recipient key, encrypted once and served from their files. */
  readonly encryptedBundles: EncryptedBundleCache;
}

declare module 'fastify' {
  interface FastifyInstance {
    hub: HubDeps;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    /** The hub's generation read for this request (with its credential); caches answer for it. */
    generation: number | undefined;
  }
}

export { notFound };

/** The caller, or UNAUTHORIZED. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new SkiffError('UNAUTHORIZED', 'this route needs a token: send "Authorization: Bearer <token>" (skiff … --token or SKIFF_TOKEN)');
  return req.principal;
}

/**
 * A vendor user holding `scope`. Customers get NOT_FOUND, never FORBIDDEN, so that a customer token cannot learn
 * what exists outside its entitlements.
 */
export function requireUser(req: FastifyRequest, scope: Scope, what: string): UserPrincipal {
  return requireScope(principalOf(req), scope, what);
}

/** What a route records about its change; who and from where come from the request. */
export interface AuditAction {
  readonly action: string;
  readonly target: string;
  readonly details?: Record<string, unknown>;
}

const entryOf = (req: FastifyRequest, a: AuditAction): AuditInput => ({ actor: actorOf(req.principal), address: req.ip, ...a });

/**
 * The one way a route changes the metadata: fn's writes and the audit entry (fixed, or made from fn's result) commit
 * in one transaction, or neither does. Throw inside fn to refuse a change; nothing is then written or recorded.
 */
export function mutate<R>(app: FastifyInstance, req: FastifyRequest, fn: (tx: MetadataTx) => Promise<R>, what: AuditAction | ((result: R) => AuditAction)): Promise<R> {
  return app.hub.db.mutate(fn, (result) => entryOf(req, typeof what === 'function' ? what(result) : what));
}

/** Records an event that changes no metadata (a blob stored in the blob store); changes to the metadata use mutate. */
export async function audit(app: FastifyInstance, req: FastifyRequest, action: string, target: string, details?: Record<string, unknown>): Promise<void> {
  await app.hub.db.appendAudit(entryOf(req, { action, target, details }));
}
