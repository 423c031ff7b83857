// The typed shapes of a normalised Compose project, as the agent applies them through the Engine API.
import type { LogFileSpec } from './log-files.ts';

export interface HealthCheck {
  /** Docker form: ['CMD', ...] | ['CMD-SHELL', '...'] | ['NONE']; [] keeps the image's own test. */
  readonly test: readonly string[];
  readonly intervalNs?: number;
  readonly timeoutNs?: number;
  readonly retries?: number;
  readonly startPeriodNs?: number;
  readonly startIntervalNs?: number;
}

export interface PortBinding {
  /** The host address as the file says it, '' when the file names none. */
  readonly hostIp: string;
  readonly hostPort?: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

export interface VolumeMount {
  readonly type: 'volume' | 'bind' | 'tmpfs';
  readonly source?: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ServiceSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly ports: readonly PortBinding[];
  readonly volumes: readonly VolumeMount[];
  readonly networks: readonly string[];
  readonly networkMode?: string;
  readonly healthcheck?: HealthCheck;
  /** `restart`: recreating the dependency restarts this service too, even when its own spec is unchanged. */
  readonly dependsOn: Readonly<Record<string, { readonly condition: DependencyCondition; readonly restart?: boolean }>>;
  readonly restart?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly workingDir?: string;
  readonly capAdd: readonly string[];
  readonly logging?: { readonly driver?: string; readonly options?: Readonly<Record<string, string>> };
}

export type ConfigType = 'string' | 'number' | 'boolean' | 'port';

export interface ConfigSetting {
  readonly name: string;
  readonly type: ConfigType;
  readonly default?: string | number | boolean;
  readonly required: boolean;
  readonly secret: boolean;
  readonly description?: string;
}

export type HookName = 'pre-upgrade' | 'post-upgrade';

export interface HookSpec {
  readonly name: HookName;
  readonly service: string;
  readonly command: readonly string[];
  readonly timeoutNs?: number;
}

export interface ComposeProject {
  readonly services: Readonly<Record<string, ServiceSpec>>;
  /** x-skiff.volumes: the volumes marked (true) or opted out (false) of snapshots. */
  readonly snapshot: Readonly<Record<string, boolean>>;
  readonly hooks: readonly HookSpec[];
  /** x-skiff.logs: log files inside volumes. */
  readonly logs?: readonly LogFileSpec[];
  /** Declared top-level named volumes. */
  readonly volumes: readonly string[];
  /** Declared networks, plus 'default' when a service has none and no network_mode. */
  readonly networks: readonly string[];
  readonly config: readonly ConfigSetting[];
}

export interface ParsedCompose {
  /** The file as a plain JSON-safe object (extension fields other than x-skiff dropped), for the release manifest. */
  readonly raw: unknown;
  /** Top-level `name` when the file sets one; the caller checks it equals the app. */
  readonly name?: string;
  readonly config: readonly ConfigSetting[];
  /** Service name → image reference as written. */
  readonly imageRefs: Readonly<Record<string, string>>;
}

export interface HostPort {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly protocol: 'tcp' | 'udp';
  readonly service: string;
}
