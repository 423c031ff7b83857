// Builds the hub's Fastify instance (no listen): OpenAPI, auth, one error handler, and the /api/v1 route plugins.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ServerOptions } from 'node:http';
import type { BlobStore } from '../store/index.ts';
import { randomBytes } from 'node:crypto';
import { HubAccess } from './access.ts';
import { Sealer } from './auth/sealing.ts';
import { DesiredStates, type DesiredOptions } from './desired.ts';
import { enrollRoutes } from './routes/enroll.ts';
import { instanceRoutes } from './routes/instances.ts';
import { valueRoutes } from './routes/values.ts';
import { logRoutes } from './routes/logs.ts';
import { DEFAULT_RETENTION_EVERY_MS, startLogRetention } from './logs/retention.ts';
import type { LogSink } from './logs/sink.ts';
import { SiteValues } from './values.ts';
import { EncryptedBundleCache } from './encrypted-bundles.ts';
import { LoginLimiter } from './auth/login-limiter.ts';
import { verifyPassword } from './auth/secrets.ts';
import { PrincipalCache } from './auth/principal.ts';
import { requestCredential } from './auth/session-cookie.ts';
import cookie from '@fastify/cookie';
import type { HubDeps } from './context.ts';
import type { MetadataDb } from './db/types.ts';
import { errorMessage, SkiffError } from '../util/index.ts';
import { clientErrorHandler, errorHandler, notFoundHandler } from './errors.ts';
import { answerUnchangedCheckins } from './checkin-fast-path.ts';
import { FreshGeneration } from './generation.ts';
import { MAX_PARAM_LENGTH } from './schemas.ts';
import { appRoutes } from './routes/apps.ts';
import { auditRoutes } from './routes/audit.ts';
import { blobRoutes } from './routes/blobs.ts';
import { reportRoutes } from './routes/reports.ts';
import { supportBundleRoutes } from './routes/support-bundles.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { channelRoutes } from './routes/channels.ts';
import { gateRoutes } from './routes/gates.ts';
import { customerRoutes } from './routes/customers.ts';
import { customerRecipientRoutes } from './routes/customer-recipient.ts';
import { releaseRoutes } from './routes/releases.ts';
import { releaseDetailRoutes } from './routes/release-details.ts';
import { sessionRoutes } from './routes/session.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { userRoutes } from './routes/users.ts';
import { v2Routes } from './routes/v2.ts';
import { rolloutRoutes } from './routes/rollouts.ts';
import { emitAlert } from './notify/index.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { policyRoutes } from './routes/policies.ts';
import { customerUserRoutes } from './routes/customer-users.ts';
import { instanceTagRoutes } from './routes/instance-tags.ts';
import { HubMetrics } from './metrics/hub-metrics.ts';
import { installMetrics } from './metrics/metrics-route.ts';
import { AlertEvaluator, type AlertOptions } from './alerts/evaluator.ts';
import { alertRoutes } from './routes/alerts.ts';
import { airgapReportRoutes } from './routes/airgap-reports.ts';
import { documentResponses } from './response-schemas.ts';
import { readEtags } from './read-etags.ts';

export interface BuildDeps {
  readonly db: MetadataDb;
  readonly blobs: BlobStore;
  readonly loginLimiter?: LoginLimiter;
  /** The hub's key for secrets at rest (loadHubKey); default a fresh one per process. */
  readonly sealer?: Sealer;
  /** DEFAULT_GENERATION_MAX_AGE_MS unless given; 0: every request reads the generation anew. */
  readonly generationMaxAgeMs?: number;
  /** Poll interval and signing period of desired-state answers, and the clock. */
  readonly desired?: Partial<DesiredOptions>;
  /** Default: scrypt (auth/secrets.ts). */
  readonly verifyPassword?: HubDeps['verifyPassword'];
  /** Passed through to Fastify (logger, https, trustProxy …). */
  readonly fastify?: FastifyServerOptions & { https?: { cert: Buffer; key: Buffer }; http?: ServerOptions };
  /** Route plugins registered after the core ones; default DEFAULT_PLUGINS (the /v2/ pull API). */
  readonly plugins?: readonly ((app: FastifyInstance) => Promise<void>)[];
  /** Where stored log lines also go (syslog), and how often old lines are forgotten (default hourly; 0: never). */
  readonly logs?: { readonly sink?: LogSink; readonly retentionEveryMs?: number };
  /** The hub's own alert evaluation (interval, silence threshold); its transitions go to hub.alerts.onTransition listeners. */
  readonly alerts?: AlertOptions;
  /** Where bundles encrypted to customers' keys are kept (the data dir's bundle-cache); default a temp dir removed on close. */
  readonly bundleCacheDir?: string;
}

export const DEFAULT_PLUGINS: readonly ((app: FastifyInstance) => Promise<void>)[] = [v2Routes];

export const API_PREFIX = '/api/v1';

/**
 * How old a read-only request's view of changes made through another replica may be: a revoke, promotion or new
 * version reported there reaches this replica's cached answers within it (through this replica, at once).
 */
export const DEFAULT_GENERATION_MAX_AGE_MS = 100;

const READS = new Set(['GET', 'HEAD']);

/** A client that stops sending or reading (a body shorter than its Content-Length, then silence) is hung up on after this. */
export const IDLE_TIMEOUT_MS = 120_000;
/** The whole request, a blob upload included, must arrive within this; 408 after. */
export const REQUEST_TIMEOUT_MS = 3_600_000;

export async function build(deps: BuildDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 2 * 1024 * 1024,
    // Path parameters up to this reach the schema, which answers 400 naming the parameter; longer ones are 414.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    connectionTimeout: IDLE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Every error the hub sends has its one body, also those the router and Node's HTTP parser answer before any route.
    frameworkErrors: errorHandler,
    clientErrorHandler,
    // Fastify's own 503 body while closing is replaced by the hook below.
    return503OnClosing: false,
    ...deps.fastify,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }) as unknown as FastifyInstance;
  const access = new HubAccess(deps.db);
  const generation = new FreshGeneration(() => deps.db.generation(), { maxAgeMs: deps.generationMaxAgeMs ?? DEFAULT_GENERATION_MAX_AGE_MS });
  const principals = new PrincipalCache(deps.db);
  // Without a given key (route tests) secrets are sealed under a key that lives as long as the process.
  const sealer = deps.sealer ?? new Sealer(randomBytes(32));
  const values = new SiteValues(deps.db, access, sealer);
  const hub: HubDeps = {
    db: deps.db,
    blobs: deps.blobs,
    loginLimiter: deps.loginLimiter ?? new LoginLimiter(),
    access,
    sealer,
    desired: new DesiredStates(deps.db, access, sealer, values, deps.desired, generation),
    values,
    verifyPassword: deps.verifyPassword ?? verifyPassword,
    ...(deps.logs?.sink ? { logSink: deps.logs.sink } : {}),
    metrics: new HubMetrics(deps.db),
    alerts: new AlertEvaluator(deps.db, deps.alerts),
    encryptedBundles: new EncryptedBundleCache(deps.bundleCacheDir),
  };
  // An alert's transition is recorded by one replica, which then tells the webhooks (a crash in between loses that call).
  hub.alerts.onTransition((t) => void emitAlert(deps.db, t).catch((e: unknown) => app.log.warn(`alert ${t.alertname} of ${t.instance} was not sent to the webhooks: ${errorMessage(e)}`)));
  await app.register(cookie);
  app.decorate('hub', hub);
  app.decorateRequest('principal', undefined);
  app.decorateRequest('generation', undefined);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    await hub.alerts.stop();
  });
  app.addHook('onReady', async () => hub.alerts.start((m) => app.log.warn(m)));
  app.addHook('onClose', () => hub.encryptedBundles.close());
  app.addHook('onRequest', async () => {
    if (closing) throw new SkiffError('UNAVAILABLE', 'this hub is shutting down; retry on another replica or after its restart');
  });

  // The generation is read only for a request with a credential; the principal and the caches behind the route hold for
  // that generation. A read may take one read up to generationMaxAgeMs ago; a write takes one read after it arrived.
  app.addHook('onRequest', async (req) => {
    const token = requestCredential(req);
    if (token === undefined) return;
    const current = (READS.has(req.method) ? generation.recent() : undefined) ?? (await generation.fresh());
    req.generation = current;
    req.principal = principals.cached(token, current) ?? (await principals.resolve(token, current));
  });

  const desiredPath = `${API_PREFIX}/instances/self/desired`;
  installMetrics(app, hub.metrics, desiredPath);
  answerUnchangedCheckins(app.server, desiredPath, hub.metrics.fastCheckin, (authorization) => {
    const gen = closing ? undefined : generation.recent();
    const p = gen === undefined ? undefined : principals.cachedForHeader(authorization, gen);
    return p?.kind === 'instance' ? hub.desired.cached(p, gen)?.etag : undefined;
  });

  // Before the answer to a write leaves (its transaction committed), so that the caller's next request here sees it.
  app.addHook('onSend', (req, _reply, payload, done) => {
    if (!READS.has(req.method)) generation.invalidate();
    done(null, payload);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Skiff hub API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.addHook('onRoute', documentResponses(API_PREFIX));
  app.addHook('onSend', readEtags(API_PREFIX));

  await app.register(
    async (api) => {
      await api.register(sessionRoutes);
      await api.register(userRoutes);
      await api.register(tokenRoutes);
      await api.register(appRoutes);
      await api.register(channelRoutes);
      await api.register(gateRoutes);
      await api.register(customerRoutes);
      await api.register(customerRecipientRoutes);
      await api.register(auditRoutes);
      await api.register(blobRoutes);
      await api.register(releaseRoutes);
      await api.register(releaseDetailRoutes);
      await api.register(bundleRoutes);
      await api.register(enrollRoutes);
      await api.register(instanceRoutes);
      await api.register(valueRoutes);
      await api.register(rolloutRoutes);
      await api.register(webhookRoutes);
      await api.register(policyRoutes);
      await api.register(instanceTagRoutes);
      await api.register(logRoutes);
      await api.register(alertRoutes);
      await api.register(reportRoutes);
      await api.register(airgapReportRoutes);
      await api.register(supportBundleRoutes);
      await api.register(customerUserRoutes);
    },
    { prefix: API_PREFIX },
  );
  for (const plugin of deps.plugins ?? DEFAULT_PLUGINS) await app.register(plugin);
  const retentionEveryMs = deps.logs?.retentionEveryMs ?? DEFAULT_RETENTION_EVERY_MS;
  if (retentionEveryMs > 0) {
    const stop = startLogRetention(deps.db.logs, retentionEveryMs, app.log);
    app.addHook('onClose', async () => stop());
  }
  return app;
}
