// The Docker Engine API: one thin client (images, containers, networks, volumes) and health gating.
export { DockerEngine, type ConnectOptions } from './docker-engine.ts';
export { AGENT_ENGINE_CALLS, type AgentEngine, type AgentEngineCall } from './agent-engine.ts';
export { waitHealthy, type ContainerInspector, type HealthResult, type WaitHealthyOptions } from './health.ts';
export {
  EngineApiError,
  DEFAULT_SOCKET_PATH,
  MAX_API_VERSION,
  MIN_API_VERSION,
  compareApiVersions,
  negotiateApiVersion,
} from './transport.ts';
export { splitImageRef, type SplitRef } from './image-ref.ts';
export { demuxLogs, LogFrameSplitter, type LogFrames } from './log-demux.ts';
export type * from './types.ts';
export type { ContainerStats } from './stats.ts';
