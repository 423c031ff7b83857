// The Docker Engine calls the agent makes, as one interface: the state machine depends on it rather than on the
// client class, so it reads as the steps it takes, and tests can put faults between it and the real engine.
import type { DockerEngine } from './docker-engine.ts';

export const AGENT_ENGINE_CALLS = [
  'info',
  'imageInspect',
  'imagePull',
  'imageLoad',
  'imageTag',
  'imageRemove',
  'imageList',
  'containerList',
  'containerCreate',
  'containerStart',
  'containerStop',
  'containerRemove',
  'containerWait',
  'containerRename',
  'containerInspect',
  'containerLogs',
  'containerArchive',
  'containerPutArchive',
  'networkConnect',
  'networkList',
  'networkCreate',
  'volumeInspect',
  'volumeCreate',
  'volumeRemove',
  'volumeSizes',
] as const;

export type AgentEngineCall = (typeof AGENT_ENGINE_CALLS)[number];

export type AgentEngine = Pick<DockerEngine, AgentEngineCall | 'close'>;
