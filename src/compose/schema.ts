// The shape of Skiff's Compose subset (zod): what keys exist, what types they take, what syntax literal strings follow.
import { parseLogEntry } from './log-files.ts';
import * as z from 'zod';
import { Label } from '../oci/index.ts';
import { parseDuration } from './duration.ts';
import { found, SyntaxIssue } from './issues.ts';
import { parsePortLong, parsePortShort } from './ports.ts';
import { settingText } from './setting-value.ts';
import { splitShellWords } from './shell-words.ts';
import { parseVolumeLong, parseVolumeShort } from './volumes.ts';

/** An object that rejects unknown keys; the issue's message lists the keys it supports. */
function closed<S extends z.ZodRawShape>(shape: S) {
  const supported = Object.keys(shape).join(', ') || 'no keys here';
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? supported : undefined) });
}

/** A string whose syntax `check` verifies, unless it holds a variable (checked again after interpolation). */
function checked(check: (text: string) => unknown, error?: string) {
  return z.string(error === undefined ? undefined : { error }).superRefine((text, ctx) => {
    if (text.includes('$')) return;
    try {
      check(text);
    } catch (e) {
      if (!(e instanceof SyntaxIssue)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message });
    }
  });
}

const duration = checked(parseDuration, `must be a duration like '30s' or '1m30s'`);
const count = z.union([z.number().int().nonnegative(), z.string().regex(/^(\d+|.*\$.*)$/, { error: 'must be a whole number' })], {
  error: 'must be a whole number',
});
const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: 'must be a string, a number or a boolean (Skiff passes no host environment: give a value, or use ${SETTING})',
});
const keyValueList = z.array(z.string().regex(/^[^=]+=/, { error: 'must be KEY=VALUE' }));
const words = z.union([checked(splitShellWords), z.array(z.string())], { error: 'must be a string or a list of strings' });

const RESERVED_LABEL_PREFIXES = [Label.app.split('.')[0] + '.', 'com.docker.compose.'];
const labelKey = z.string().refine((key) => !RESERVED_LABEL_PREFIXES.some((prefix) => key.startsWith(prefix)), {
  error: `is reserved: labels starting ${RESERVED_LABEL_PREFIXES.join(' or ')} are set by Skiff`,
});
const labelList = z.array(
  z.string().regex(/^[^=]+=/, { error: 'must be KEY=VALUE' }).refine((item) => labelKey.safeParse(item.split('=')[0]).success, {
    error: 'uses a reserved label key (skiff. and com.docker.compose. are set by Skiff)',
  }),
);

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const serviceName = z.string().regex(SERVICE_NAME, { error: 'is not a valid name: use letters, digits, ".", "_" and "-"' });
export const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'] as const;
const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?|.*\$.*)$/;

const port = z.union(
  [
    z.number().int(),
    checked(parsePortShort),
    closed({
      target: z.union([z.number().int(), z.string()], { error: 'must be a port number' }),
      published: z.union([z.number().int(), z.string()], { error: 'must be a port or a range' }).optional(),
      host_ip: z.string().optional(),
      protocol: z.string().optional(),
    }).superRefine((spec, ctx) => addSyntaxIssue(ctx, () => parsePortLong(spec), JSON.stringify(spec).includes('$'))),
  ],
  { error: 'must be a port mapping like "8080:80", a port number, or a mapping with target' },
);

const volume = z.union(
  [
    checked(parseVolumeShort),
    closed({
      type: z.enum(['volume', 'bind', 'tmpfs']),
      source: z.string().optional(),
      target: z.string(),
      read_only: z.boolean().optional(),
    }).superRefine((spec, ctx) => addSyntaxIssue(ctx, () => parseVolumeLong(spec), JSON.stringify(spec).includes('$'))),
  ],
  { error: 'must be a mount like "data:/var/lib/app" or a mapping with type, source and target' },
);

function addSyntaxIssue(ctx: z.RefinementCtx, check: () => unknown, skip: boolean): void {
  if (skip) return;
  try {
    check();
  } catch (e) {
    if (!(e instanceof SyntaxIssue)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message });
  }
}

const healthTest = z.union(
  [
    z.string(),
    z.array(z.string()).superRefine((test, ctx) => {
      const [kind, ...args] = test;
      const ok = (kind === 'CMD' && args.length > 0) || (kind === 'CMD-SHELL' && args.length === 1) || (kind === 'NONE' && args.length === 0);
      if (!ok) ctx.addIssue({ code: 'custom', message: `must be ["CMD", "prog", "arg"…], ["CMD-SHELL", "command"] or ["NONE"]` });
    }),
  ],
  { error: 'must be a shell command string or a list like ["CMD", "prog", "arg"]' },
);

export const serviceSchema = closed({
  image: z.string({ error: (issue) => (issue.input === undefined ? 'is required: Skiff runs prebuilt images, so every service names one' : `must be a string (found ${found(issue.input)})`) }).min(1),
  command: words.optional(),
  entrypoint: words.optional(),
  environment: z.union([z.record(z.string(), scalar), keyValueList], { error: 'must be a mapping NAME: value or a list of NAME=value' }).optional(),
  // A release carries no host files, so env_file is recognised only to say so where it is written.
  env_file: z.never({ error: 'names host files, which a release cannot carry: declare settings in x-skiff.config and use them under environment' }).optional(),
  ports: z.array(port).optional(),
  volumes: z.array(volume).optional(),
  networks: z.union([z.array(z.string()), z.record(z.string(), z.union([z.null(), closed({})]))], {
    error: 'must be a list of network names or a mapping of them',
  }).optional(),
  healthcheck: closed({
    test: healthTest.optional(),
    interval: duration.optional(),
    timeout: duration.optional(),
    retries: count.optional(),
    start_period: duration.optional(),
    start_interval: duration.optional(),
    disable: z.boolean().optional(),
  }).optional(),
  depends_on: z.union([z.array(serviceName), z.record(z.string(), closed({ condition: z.enum(CONDITIONS).optional(), restart: z.boolean().optional() }))], {
    error: 'must be a list of services or a mapping service: { condition, restart }',
  }).optional(),
  restart: z.string().regex(RESTART, {
    error: 'must be no, always, unless-stopped, on-failure or on-failure:N',
  }).optional(),
  labels: z.union([z.record(labelKey, scalar), labelList], { error: 'must be a mapping of labels or a list of KEY=VALUE' }).optional(),
  user: z.union([z.string(), z.number().int().nonnegative()], { error: 'must be a user name or id' }).optional(),
  working_dir: checked((dir) => {
    if (!dir.startsWith('/')) throw new SyntaxIssue('must be an absolute path');
  }).optional(),
  network_mode: z.string().regex(/^(host|none|bridge|service:.+|container:.+|.*\$.*)$/, {
    error: 'must be host, none, bridge, service:NAME or container:NAME',
  }).optional(),
  cap_add: z.array(z.string()).optional(),
  logging: closed({ driver: z.string().optional(), options: z.record(z.string(), scalar).optional() }).optional(),
});

export const settingSchema = closed({
  type: z.enum(['string', 'number', 'boolean', 'port']),
  default: z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, a number or a boolean' }).optional(),
  required: z.boolean().optional(),
  secret: z.boolean().optional(),
  description: z.string().optional(),
}).superRefine((setting, ctx) => {
  if (setting.default === undefined) return;
  try {
    settingText(setting.type, setting.default);
  } catch (e) {
    if (!(e instanceof SyntaxIssue)) throw e;
    ctx.addIssue({ code: 'custom', path: ['default'], message: e.message });
  }
});

const NAMED = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const objectName = z.string().regex(NAMED, { error: 'is not a valid name: use letters, digits, ".", "_" and "-"' });

/** A one-off container of a service's image (its volumes, networks and environment) running `command`. */
const hookSchema = closed({ service: serviceName, command: words, timeout: duration.optional() });

export const composeSchema = closed({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'must be a lowercase project name' }).optional(),
  services: z.record(serviceName, serviceSchema).refine((services) => Object.keys(services).length > 0, {
    error: 'must define at least one service',
  }),
  volumes: z.record(objectName, z.union([z.null(), closed({ driver: z.literal('local', { error: 'must be local, the only driver Skiff supports' }).optional() })])).nullable().optional(),
  networks: z.record(objectName, z.union([z.null(), closed({ driver: z.literal('bridge', { error: 'must be bridge, the only driver Skiff supports' }).optional() })])).nullable().optional(),
  'x-skiff': closed({
    config: z.record(z.string().regex(SETTING_NAME, { error: 'is not a valid setting name: use letters, digits and "_"' }), settingSchema).optional(),
    /** Volumes to copy before an upgrade switches (restored when it rolls back); `snapshot: false` opts one out. */
    volumes: z.record(objectName, closed({ snapshot: z.boolean().optional() })).optional(),
    hooks: closed({ 'pre-upgrade': hookSchema.optional(), 'post-upgrade': hookSchema.optional() }).optional(),
    /** Log files inside volumes the agent collects: "<volume>:<path in the container>/<file pattern>". */
    logs: z.array(checked(parseLogEntry)).optional(),
  }).optional(),
});

export type ComposeFile = z.output<typeof composeSchema>;
export type ServiceFile = z.output<typeof serviceSchema>;
export const CONDITION_VALUES: readonly string[] = CONDITIONS;
