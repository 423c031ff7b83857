// The metadata seam's observability part: what /metrics, the alert rules and the delivery reports read.
import type { InstanceEvent } from './types-fleet.ts';

/** The release whose install failed at an instance (rolled back), and why. */
export interface FailedRelease {
  readonly version: string;
  readonly at: string;
  readonly reason: string;
}

/** Metrics an agent reports: per service its container's restarts, CPU and memory; disk free of its state dir and the engine's data root. */
export interface AgentMetrics {
  readonly at: string;
  readonly containers: readonly { service: string; restarts: number; cpuRatio: number | null; memoryBytes: number | null; memoryLimitBytes: number | null }[];
  readonly diskFree: { readonly stateDir: number | null; readonly engineRoot: number | null };
}

/** How many unrevoked instances of an app run a version with a health. */
export interface FleetCount {
  readonly app: string;
  readonly version: string | null;
  readonly health: string | null;
  readonly count: number;
}

/** What /metrics and the alert rules read of one unrevoked instance. */
export interface InstanceSignal {
  readonly id: string;
  readonly name: string;
  readonly customer: string;
  readonly app: string;
  readonly currentVersion: string | null;
  readonly health: string | null;
  readonly lastSeenAt: string | null;
  readonly createdAt: string;
  readonly failedRelease: FailedRelease | null;
  readonly metrics: AgentMetrics | null;
}

export type AlertState = 'firing' | 'resolved';

/** One alert rule's state for one instance. */
export interface AlertRecord {
  readonly rule: string;
  readonly instanceId: string;
  readonly instance: string;
  readonly customer: string;
  readonly app: string;
  readonly state: AlertState;
  readonly since: string;
  readonly resolvedAt: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** An instance history entry of an app, for the delivery reports. */
export interface ObservedEvent extends InstanceEvent {
  readonly instanceId: string;
}

export interface ObservabilityStore {
  fleetCounts(): Promise<FleetCount[]>;
  instanceSignals(): Promise<InstanceSignal[]>;
  /** Keeps the instance's failed release (null: none) and, when given, its latest agent metrics and their short history. */
  recordObservations(instanceId: string, o: { at: string; failedRelease: FailedRelease | null; metrics: AgentMetrics | null }): Promise<void>;
  metricsHistory(instanceId: string): Promise<{ at: string; metrics: AgentMetrics }[]>;
  /** History entries of the app's instances of these kinds, oldest first. */
  appEvents(app: string, kinds: readonly string[]): Promise<ObservedEvent[]>;
  listAlerts(filter?: { state?: AlertState; customerId?: string }): Promise<AlertRecord[]>;
  /** Records the rule firing for the instance; true only for the call that made the transition (one replica). */
  fireAlert(rule: string, instanceId: string, at: string, detail: Record<string, unknown>): Promise<boolean>;
  /** Records a firing alert resolved; true only for the call that made the transition. */
  resolveAlert(rule: string, instanceId: string, at: string): Promise<boolean>;
}
