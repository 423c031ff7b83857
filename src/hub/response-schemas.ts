// What the read routes answer, as JSON Schemas the OpenAPI document publishes (and the console's client is typed from),
// attached to the routes by method and path so the route files stay as they are.
import type { RouteOptions } from 'fastify';
import { ADOPTION, ALERT, ANY_OBJECT, arr, BOOL, INT, LOG_LINE, METRICS, NUM, obj, orNull, ROLLOUT, type Schema, STR, SUPPORT_BUNDLE, TIME } from './response-schemas-fleet.ts';
import { PORTAL_RESPONSES } from './response-schemas-portal.ts';
import { RELEASE_RESPONSES } from './response-schemas-releases.ts';
import { CUSTOMER_RESPONSES } from './response-schemas-customers.ts';

const APP = obj({ name: STR, createdAt: TIME });
const RELEASE = obj({ app: STR, version: STR, digest: STR, createdAt: TIME });
const CHANNEL = obj({ app: STR, name: STR, releases: arr(obj({ version: STR, required: BOOL, promotedAt: TIME })) });
const CUSTOMER = obj({
  id: STR, name: STR, airgapped: BOOL, createdAt: TIME,
  entitlements: arr(obj({ app: STR, channel: STR, expiresAt: orNull(STR) })), recipient: orNull(STR),
});
const AUDIT_ENTRY = obj({ id: INT, at: TIME, actor: STR, action: STR, target: STR, address: STR, details: ANY_OBJECT, prevHash: STR, hash: STR });
const SESSION = {
  anyOf: [
    obj({ kind: { type: 'string', enum: ['user'] }, username: STR, role: STR, scopes: arr(STR), roleScopes: arr(STR) }),
    obj({ kind: { type: 'string', enum: ['customer'] }, customer: STR, role: { type: 'string', enum: ['customer-admin', 'customer-viewer'] }, username: orNull(STR) }),
    obj({ kind: { type: 'string', enum: ['instance'] }, customer: STR, instance: STR, app: STR }),
    obj({ kind: { type: 'string', enum: ['anonymous'] } }),
  ],
};

export const INSTANCE = obj({
  id: STR, name: STR, customer: STR, app: STR, currentVersion: orNull(STR), desiredVersion: orNull(STR), health: orNull(STR), phase: orNull(STR),
  lastError: orNull(STR), services: arr(obj({ service: STR, state: STR, health: STR })), agentVersion: orNull(STR), diskFreeBytes: orNull(NUM), metrics: orNull(METRICS),
  lastSeenAt: orNull(TIME), lastOutage: orNull(obj({ since: TIME, until: TIME, failedPolls: INT })), createdAt: TIME, revokedAt: orNull(TIME), facts: ANY_OBJECT,
  pinnedVersion: orNull(STR), windows: arr(ANY_OBJECT), installNow: BOOL, blockedReason: orNull(STR), tags: { type: 'object', additionalProperties: STR },
});
const INSTANCE_DETAIL = {
  allOf: [INSTANCE, obj({ metricsHistory: arr(obj({ at: TIME, metrics: METRICS })), history: arr(obj({ at: TIME, kind: STR, detail: ANY_OBJECT })) })],
};

/** By "METHOD path" under the API prefix: the status and schema of the success answer. */
export const DOCUMENTED_RESPONSES: Record<string, Record<number, Schema>> = {
  'GET /session': { 200: SESSION },
  'GET /whoami': { 200: SESSION },
  'GET /apps': { 200: obj({ apps: arr(APP) }) },
  'GET /apps/:app/releases': { 200: obj({ releases: arr(RELEASE) }) },
  'GET /apps/:app/channels': { 200: obj({ channels: arr(CHANNEL) }) },
  'POST /apps/:app/channels/:channel/releases': { 201: CHANNEL },
  'GET /customers': { 200: obj({ customers: arr(CUSTOMER) }) },
  'GET /audit': { 200: obj({ entries: arr(AUDIT_ENTRY) }) },
  'GET /instances': { 200: obj({ instances: arr(INSTANCE) }) },
  'GET /instances/summary': { 200: obj({ instances: INT, unhealthy: INT, versions: arr(obj({ version: orNull(STR), count: INT })) }) },
  'GET /instances/:id': { 200: INSTANCE_DETAIL },
  'PUT /instances/:id/tags': { 200: INSTANCE },
  'PATCH /instances/:id/tags': { 200: INSTANCE },
  'GET /rollouts': { 200: obj({ rollouts: arr(ROLLOUT) }) },
  'GET /rollouts/:id': { 200: ROLLOUT },
  'POST /rollouts/:id/pause': { 200: ROLLOUT },
  'POST /rollouts/:id/resume': { 200: ROLLOUT },
  'POST /rollouts/:id/cancel': { 200: ROLLOUT },
  'GET /alerts': { 200: obj({ alerts: arr(ALERT) }) },
  'GET /logs': { 200: obj({ lines: arr(LOG_LINE) }) },
  'GET /instances/:id/support-bundles': { 200: obj({ bundles: arr(SUPPORT_BUNDLE), requestedAt: orNull(TIME) }) },
  'POST /instances/:id/support-bundle-request': { 202: obj({ requestedAt: TIME }) },
  'GET /reports/adoption': { 200: ADOPTION },
  ...PORTAL_RESPONSES,
  ...RELEASE_RESPONSES,
  ...CUSTOMER_RESPONSES,
};

/**
 * An onRoute hook for the routes under `prefix`: documents each route's answer. The answer is still written by
 * JSON.stringify, as before: a response schema would otherwise make Fastify drop properties it does not list and turn
 * nulls into empty strings.
 */
export function documentResponses(prefix: string): (route: RouteOptions) => void {
  return (route) => {
    const method = Array.isArray(route.method) ? route.method[0] : route.method;
    if (!route.url.startsWith(prefix)) return;
    const response = DOCUMENTED_RESPONSES[`${method} ${route.url.slice(prefix.length)}`];
    if (!response) return;
    route.schema = { ...route.schema, response };
    route.serializerCompiler = () => (data) => JSON.stringify(data);
  };
}
