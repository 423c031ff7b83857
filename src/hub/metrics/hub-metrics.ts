// The hub's Prometheus metrics, one registry per hub: counters the hub's paths increment (check-ins, upgrade outcomes,
// log ingest), API latency histograms, and gauges of the fleet read from the database at scrape time (one snapshot,
// cached for a few seconds, however many gauges and scrapers read it).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { InstanceSignal, FleetCount, MetadataDb } from '../db/types.ts';

/** How long one database snapshot of the fleet serves scrapes. */
export const FLEET_SNAPSHOT_MS = 5_000;

interface FleetSnapshot {
  readonly counts: readonly FleetCount[];
  readonly instances: readonly InstanceSignal[];
}

// Not `instance`: Prometheus gives that label to the scrape target and would rename ours.
const INSTANCE_LABELS = ['instance_id', 'instance_name', 'customer', 'app'] as const;
type InstanceLabel = (typeof INSTANCE_LABELS)[number];

const labelsOf = (i: InstanceSignal): Record<InstanceLabel, string> => ({ instance_id: i.id, instance_name: i.name, customer: i.customer, app: i.app });

export class HubMetrics {
  readonly registry = new Registry();
  /** Desired-state polls answered: `path` fast (the unchanged check-in before the framework) or framework; `answer` unchanged (304) or full. */
  readonly checkins: Counter<'path' | 'answer'>;
  /** The fast path's count: a plain number (it is the hottest path of the hub), added to the counter at each scrape. */
  readonly fastCheckin = { count: 0, inc(): void { this.count++; } };
  readonly upgrades = new Counter({ name: 'skiff_hub_upgrade_outcomes_total', help: 'Upgrades instances reported, by app and result (succeeded, failed)', labelNames: ['app', 'result'] as const, registers: [this.registry] });
  /** Log lines stored by the hub (the log ingest increments it). */
  readonly logLinesIngested = new Counter({ name: 'skiff_hub_log_lines_ingested_total', help: 'Log lines the hub ingested, by app', labelNames: ['app'] as const, registers: [this.registry] });
  readonly logBytesIngested = new Counter({ name: 'skiff_hub_log_bytes_ingested_total', help: 'Bytes of log lines the hub ingested, by app', labelNames: ['app'] as const, registers: [this.registry] });
  readonly requestSeconds = new Histogram({
    name: 'skiff_hub_http_request_duration_seconds',
    help: 'API latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly #db: MetadataDb;
  readonly #maxAgeMs: number;
  #snapshot: { at: number; value: Promise<FleetSnapshot> } | undefined;

  constructor(db: MetadataDb, opts: { snapshotMs?: number } = {}) {
    const fast = this.fastCheckin;
    let counted = 0;
    this.checkins = new Counter({
      name: 'skiff_hub_checkins_total',
      help: 'Desired-state check-ins answered',
      labelNames: ['path', 'answer'] as const,
      registers: [this.registry],
      collect() {
        this.inc({ path: 'fast', answer: 'unchanged' }, fast.count - counted);
        counted = fast.count;
      },
    });
    this.#db = db;
    this.#maxAgeMs = opts.snapshotMs ?? FLEET_SNAPSHOT_MS;
    this.#fleetGauges();
  }

  /** The text exposition of every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** One read of the fleet per FLEET_SNAPSHOT_MS; concurrent scrapes share it, a failed read is not kept. */
  #fleet(): Promise<FleetSnapshot> {
    const now = Date.now();
    if (this.#snapshot && now - this.#snapshot.at < this.#maxAgeMs) return this.#snapshot.value;
    const value = Promise.all([this.#db.observe.fleetCounts(), this.#db.observe.instanceSignals()]).then(([counts, instances]) => ({ counts, instances }));
    this.#snapshot = { at: now, value };
    value.catch(() => (this.#snapshot = undefined));
    return value;
  }

  #gauge<L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, s: FleetSnapshot) => void): void {
    const fleet = () => this.#fleet();
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const s = await fleet();
        this.reset();
        fill(this, s);
      },
    });
  }

  #fleetGauges(): void {
    this.#gauge('skiff_fleet_instances', 'Unrevoked instances by app, version and health', ['app', 'version', 'health'], (g, s) => {
      for (const c of s.counts) g.set({ app: c.app, version: c.version ?? 'none', health: c.health ?? 'unknown' }, c.count);
    });
    this.#gauge('skiff_instance_last_seen_timestamp_seconds', 'When the instance last reported (its enrollment when never)', INSTANCE_LABELS, (g, s) => {
      for (const i of s.instances) g.set(labelsOf(i), Date.parse(i.lastSeenAt ?? i.createdAt) / 1000);
    });
    this.#gauge('skiff_instance_unhealthy', '1 when the instance reports itself unhealthy', INSTANCE_LABELS, (g, s) => {
      for (const i of s.instances) g.set(labelsOf(i), i.health === 'unhealthy' ? 1 : 0);
    });
    this.#gauge('skiff_instance_upgrade_failed', '1 while the instance reports a failed (rolled back) upgrade to `version`', [...INSTANCE_LABELS, 'version'], (g, s) => {
      for (const i of s.instances) if (i.failedRelease) g.set({ ...labelsOf(i), version: i.failedRelease.version }, 1);
    });
    const perContainer = [...INSTANCE_LABELS, 'service'] as const;
    this.#gauge('skiff_instance_container_restarts', 'Restarts of the service container, as Docker counts them', perContainer, (g, s) => {
      for (const i of s.instances) for (const c of i.metrics?.containers ?? []) g.set({ ...labelsOf(i), service: c.service }, c.restarts);
    });
    this.#gauge('skiff_instance_container_cpu_ratio', 'CPU used by the service container (1 = one core)', perContainer, (g, s) => {
      for (const i of s.instances) for (const c of i.metrics?.containers ?? []) if (c.cpuRatio !== null) g.set({ ...labelsOf(i), service: c.service }, c.cpuRatio);
    });
    this.#gauge('skiff_instance_container_memory_bytes', 'Memory used by the service container', perContainer, (g, s) => {
      for (const i of s.instances) for (const c of i.metrics?.containers ?? []) if (c.memoryBytes !== null) g.set({ ...labelsOf(i), service: c.service }, c.memoryBytes);
    });
    this.#gauge('skiff_instance_disk_free_bytes', "Disk free under the agent's state dir (path=state) and the engine's data root (path=engine)", [...INSTANCE_LABELS, 'path'], (g, s) => {
      for (const i of s.instances) {
        const d = i.metrics?.diskFree;
        if (d?.stateDir != null) g.set({ ...labelsOf(i), path: 'state' }, d.stateDir);
        if (d?.engineRoot != null) g.set({ ...labelsOf(i), path: 'engine' }, d.engineRoot);
      }
    });
  }
}
