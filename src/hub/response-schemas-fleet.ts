// Schema builders for documented answers, and the answers of the fleet's routes: rollouts, alerts, logs, metrics,
// support bundles and the delivery report.
import { ROLLOUT_STATES } from '../fleet/index.ts';
import { LOG_LEVELS } from './db/sql-logs.ts';

export type Schema = Record<string, unknown>;

/** An object whose properties are all present unless named optional (a response may carry more; the client's types are closed). */
export const obj = (properties: Record<string, Schema>, optional: string[] = []): Schema => ({
  type: 'object',
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  properties,
});
export const arr = (items: Schema): Schema => ({ type: 'array', items });
export const orNull = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
export const STR = { type: 'string' } as const;
export const NUM = { type: 'number' } as const;
export const INT = { type: 'integer' } as const;
export const BOOL = { type: 'boolean' } as const;
export const TIME = { type: 'string', format: 'date-time' } as const;
export const ANY_OBJECT = { type: 'object', additionalProperties: true } as const;
const COUNTS = { type: 'object', additionalProperties: INT } as const;

export const METRICS = obj({
  at: TIME,
  containers: arr(obj({ service: STR, restarts: INT, cpuRatio: orNull(NUM), memoryBytes: orNull(NUM), memoryLimitBytes: orNull(NUM) })),
  diskFree: obj({ stateDir: orNull(NUM), engineRoot: orNull(NUM) }),
});

export const ROLLOUT = obj({
  id: STR, app: STR, version: STR, digest: STR,
  target: obj({ channel: orNull(STR), customers: arr(STR) }),
  plan: ANY_OBJECT,
  state: { type: 'string', enum: ROLLOUT_STATES },
  reason: orNull(STR), createdBy: STR, createdAt: TIME, updatedAt: TIME,
  groups: arr(obj({ group: INT, size: INT, committed: INT, failed: INT, pending: INT, startedAt: orNull(TIME), succeededAt: orNull(TIME), approved: BOOL })),
});

export const ALERT = obj({
  rule: STR, alertname: STR, instanceId: STR, instance: STR, customer: STR, app: STR,
  state: { type: 'string', enum: ['firing', 'resolved'] }, since: TIME, resolvedAt: orNull(TIME), detail: ANY_OBJECT,
});

export const LOG_LINE = obj({ instanceId: STR, stream: STR, seq: INT, at: TIME, service: STR, source: STR, level: { type: 'string', enum: LOG_LEVELS }, message: STR });

export const SUPPORT_BUNDLE = obj({ id: STR, instanceId: STR, digest: STR, size: INT, uploadedBy: STR, createdAt: TIME });

const MARK = orNull(obj({ at: TIME, seconds: NUM }));
export const ADOPTION = obj({
  generatedAt: TIME, app: STR, instances: INT,
  versions: arr(obj({ version: STR, releasedAt: orNull(TIME), instances: INT, adoption50: MARK, adoption90: MARK })),
  behind: COUNTS,
  failedUpgrades: arr(obj({ instanceId: STR, instance: STR, customer: STR, version: STR, at: TIME, reason: STR })),
  customers: arr(obj({ customer: STR, instances: INT, versions: COUNTS, behind: COUNTS, failedUpgrades: INT })),
});
