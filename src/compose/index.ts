// The Compose subset module: parse a vendor's compose.yaml, check a site's values, normalise to typed service specs.
export { parseCompose } from './parse.ts';
export { normalizeCompose } from './normalize.ts';
export { resolveValues, parseValuesYaml, secretValues } from './config.ts';
export { startOrder, hostPorts } from './order.ts';
export type {
  ComposeProject,
  ConfigSetting,
  ConfigType,
  DependencyCondition,
  HealthCheck,
  HookName,
  HookSpec,
  HostPort,
  ParsedCompose,
  PortBinding,
  ServiceSpec,
  VolumeMount,
} from './types.ts';
export { parseLogEntry, dirInVolume, matchesPattern, type LogFileSpec } from './log-files.ts';
