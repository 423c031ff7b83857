// JSON Schemas shared by the routes (Fastify validates with them and @fastify/swagger publishes them).
import { SCOPES } from './auth/permissions.ts';
import { ROLES } from './db/types.ts';

export const NAME = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'lowercase name' } as const;
export const VERSION = {
  type: 'string',
  maxLength: 128,
  pattern: '^\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?$',
  description: 'semantic version',
} as const;
export const UUID = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;
export const ROLE = { type: 'string', enum: ROLES } as const;
export const SCOPE = { type: 'string', enum: SCOPES } as const;
export const DATE = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?$', description: 'YYYY-MM-DD or ISO 8601' } as const;
export const ROOT_JSON = { type: 'string', minLength: 2, maxLength: 1_000_000, description: 'the root.json file, verbatim' } as const;
export const USERNAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' } as const;

/** The longest path parameter the router accepts; longer ones are 414 (no name, version or digest comes near). */
export const MAX_PARAM_LENGTH = 2048;

export const appParams = { type: 'object', required: ['app'], additionalProperties: false, properties: { app: NAME } } as const;

export const ENTITLEMENT = {
  type: 'object',
  required: ['app', 'channel'],
  additionalProperties: false,
  properties: { app: NAME, channel: NAME, expiresAt: { anyOf: [DATE, { type: 'null' }] } },
} as const;

/** Bodies must be JSON objects; this is what every mutation with no fields accepts. */
export const EMPTY_BODY = { type: 'object', additionalProperties: false, properties: {} } as const;
export const SECURITY = [{ bearer: [] }];
