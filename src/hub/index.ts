// The hub's public API: build the Fastify app, serve a data dir, init it, open its metadata database, authenticate requests.
export { build, API_PREFIX, type BuildDeps } from './app.ts';
export { startHubServer, openHubBlobStore, parseListen, type ServeOptions, type RunningHub } from './server.ts';
export { initHub, createFirstAdmin, STORE_DIR, type InitResult } from './init.ts';
export { openMetadataDb, openSqliteMetadataDb, openPostgresMetadataDb, SQLITE_FILE } from './db/index.ts';
export type * from './db/types.ts';
export { ROLES } from './db/types.ts';
export {
  credentialOf,
  resolveToken,
  makeAuthenticator,
  requestAuthenticator,
  actorOf,
  type Principal,
  type UserPrincipal,
  type CustomerPrincipal,
} from './auth/principal.ts';
export { SCOPES, roleScopes, type Scope } from './auth/permissions.ts';
export { HTTP_STATUS, statusOf, toErrorReply } from './errors.ts';
export { audit, mutate, requireUser, principalOf, notFound, type AuditAction, type HubDeps } from './context.ts';
export { HubAccess, skippedRequired } from './access.ts';
export { verifyAuditChain, auditHash, type AuditVerdict } from './audit/chain.ts';
export { verifyHubAudit } from './audit/verify-data.ts';
export { notifyOptionsFrom, type NotifyFlags } from './notify/settings.ts';
