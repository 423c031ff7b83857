// The shapes of the Docker Engine API that Skiff uses: our camelCase views of answers, and the create body as the engine takes it.

export interface EngineInfo {
  dockerRootDir: string;
  serverVersion: string;
  operatingSystem: string;
  architecture: string;
  storageDriver: string;
  ncpu: number;
  memTotal: number;
}

export interface ImageConfig {
  cmd: string[] | undefined;
  entrypoint: string[] | undefined;
  env: string[];
  labels: Record<string, string>;
  exposedPorts: string[];
  workingDir: string;
  user: string;
  healthcheck: HealthConfig | undefined;
}

export interface ImageInspect {
  id: string;
  repoDigests: string[];
  repoTags: string[];
  size: number;
  /** the layers' diffIDs (sha256 of each uncompressed layer tar), bottom first */
  rootfsLayers: string[];
  os: string;
  architecture: string;
  variant?: string;
  created: string;
  config: ImageConfig;
}

export interface ImageSummary {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  labels: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerSummary {
  id: string;
  /** without the engine's leading '/' */
  names: string[];
  image: string;
  imageId: string;
  labels: Record<string, string>;
  state: string;
  status: string;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy' | 'none';

export interface HealthProbe {
  exitCode: number;
  output: string;
}

export interface ContainerInspect {
  id: string;
  /** without the engine's leading '/' */
  name: string;
  /** the image ID the container runs */
  image: string;
  restartCount: number;
  state: {
    status: string;
    running: boolean;
    restarting: boolean;
    exitCode: number;
    error: string;
    startedAt: string;
    finishedAt: string;
    health?: { status: HealthStatus; failingStreak: number; log: HealthProbe[] };
  };
  labels: Record<string, string>;
  config: {
    image: string;
    cmd: string[] | undefined;
    entrypoint: string[] | undefined;
    env: string[];
    hostname: string;
    healthcheck: HealthConfig | undefined;
  };
  /** network name → its aliases and IP address */
  networks: Record<string, { aliases: string[]; ipAddress: string }>;
  mounts: { type: string; name?: string; source: string; destination: string }[];
}

export interface NetworkSummary {
  id: string;
  name: string;
  driver: string;
  labels: Record<string, string>;
}

export interface VolumeSummary {
  name: string;
  driver: string;
  labels: Record<string, string>;
  mountpoint: string;
}

/** Durations are in nanoseconds, as the engine takes them. */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> };
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  Labels?: Record<string, string>;
  User?: string;
  WorkingDir?: string;
  Hostname?: string;
  Tty?: boolean;
  StopSignal?: string;
  StopTimeout?: number;
  Healthcheck?: HealthConfig;
  /** `{ "80/tcp": {} }` */
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig?: {
    Binds?: string[];
    Mounts?: MountSpec[];
    /** `{ "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] }` */
    PortBindings?: Record<string, PortBinding[]>;
    RestartPolicy?: { Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure'; MaximumRetryCount?: number };
    NetworkMode?: string;
    CapAdd?: string[];
    LogConfig?: { Type: string; Config?: Record<string, string> };
    ExtraHosts?: string[];
  };
  NetworkingConfig?: {
    EndpointsConfig?: Record<string, { Aliases?: string[] }>;
  };
}

export type Filters = Record<string, string[]>;

/** Credentials for a registry, sent base64url-encoded in X-Registry-Auth. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress?: string;
}
