// A fleet simulator: N lightweight agents in one process speaking the real connected protocol over HTTP — enrollment
// with their own ed25519 keys, the signed desired state polled with If-None-Match (verified by the agent's own
// verifyDesired for a share of them), status reports — with bounded concurrency and no Docker. An agent "installs" a
// new desired release at once, committing or failing as FleetSim.script says (sim-script.ts), and reports it. Large
// fleets can be seeded into the hub's database after a first part enrolled through the API (seed()).
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { parseEnrollToken, trustedChain } from '../../src/agent/index.ts';
import { verifyDesired, type DesiredSigned } from '../../src/fleet/index.ts';
import { mintToken } from '../../src/hub/auth/secrets.ts';
import type { MetadataDb } from '../../src/hub/index.ts';
import type { RootMeta } from '../../src/trust/index.ts';
import { applyDesired, type OutcomeScript, type SiteState } from './sim-script.ts';

const API = '/api/v1';

export interface SimAgent extends SiteState {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly credential: string;
  /** Verifies every answer it gets (a share of the fleet does; see FleetSimOptions.verifyShare). */
  readonly verifies: boolean;
  etag: string | null;
  /** The `issued` of the last answer taken, for the replay check. */
  issued: string | null;
  desired: DesiredSigned | null;
  lastReportMs: number;
}

export type PollOutcome = 'not-modified' | 'changed' | 'unauthorized' | 'error';

export interface SimStats {
  polls: number;
  notModified: number;
  changed: number;
  /** Answers checked with verifyDesired (signature, instance, expiry, replay). */
  verified: number;
  /** Desired releases the agents switched to. */
  upgrades: number;
  reports: number;
  errors: number;
  /** The first few error messages, for a failure report. */
  readonly errorSamples: string[];
  /** Poll latencies, ms. */
  readonly latenciesMs: number[];
}

export interface FleetSimOptions {
  /** The hub's base URL (http://host:port). */
  readonly hub: string;
  /** Requests in flight at most, one connection each. Default 32. */
  readonly concurrency?: number;
  /** The share of agents that verify every answer they get (0..1). Default 0.1. */
  readonly verifyShare?: number;
  readonly now?: () => Date;
}

export interface EnrollOptions extends FleetSimOptions {
  /** The `ske_….<sha256>` token `skiff customer enroll-token` printed (its uses must cover `count`). */
  readonly enrollToken: string;
  readonly count: number;
  /** Instance names are `<prefix>-<n>`; unique per customer. Default `sim`. */
  readonly namePrefix?: string;
}

export interface RunOptions {
  readonly durationMs: number;
  /** Poll interval; default the one the hub's answers set (pollSeconds). */
  readonly pollEveryMs?: number;
  /** Each wait is the interval ± this share of it (0..1). Default 0.1. */
  readonly jitter?: number;
  /** Heartbeat report interval. Default 5 minutes, as the agent's. */
  readonly reportEveryMs?: number;
}

/** Runs fn over items with at most `limit` at once. */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Every how many agents one verifies its answers. */
function verifyEvery(share = 0.1): number {
  return share <= 0 ? Infinity : Math.max(1, Math.round(1 / share));
}

const newStats = (): SimStats => ({ polls: 0, notModified: 0, changed: 0, verified: 0, upgrades: 0, reports: 0, errors: 0, errorSamples: [], latenciesMs: [] });

export class FleetSim {
  readonly root: RootMeta;
  readonly app: string;
  stats: SimStats = newStats();
  /** Whether each try of each agent commits or fails (default: all commit). */
  script: OutcomeScript = () => 'commit';
  readonly #pool: Pool;
  readonly #concurrency: number;
  readonly #now: () => Date;
  readonly #agents: SimAgent[];
  readonly #verifyEvery: number;

  private constructor(opts: FleetSimOptions, app: string, root: RootMeta, agents: SimAgent[], pool: Pool) {
    this.app = app;
    this.root = root;
    this.#agents = agents;
    this.#verifyEvery = verifyEvery(opts.verifyShare);
    this.#pool = pool;
    this.#concurrency = opts.concurrency ?? 32;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Enrolls `count` agents through POST /api/v1/enroll, each with its own ed25519 key; the roots are checked as the agent does. */
  static async enroll(opts: EnrollOptions): Promise<FleetSim> {
    const { secret, rootSha256 } = parseEnrollToken(opts.enrollToken);
    const concurrency = opts.concurrency ?? 32;
    const pool = new Pool(opts.hub, { connections: concurrency });
    const every = verifyEvery(opts.verifyShare);
    const agents: SimAgent[] = new Array<SimAgent>(opts.count);
    let roots: readonly string[] | undefined;
    let app = '';
    try {
      await forEachBounded(Array.from({ length: opts.count }, (_, i) => i), concurrency, async (i) => {
        const { publicKey } = generateKeyPairSync('ed25519');
        const name = `${opts.namePrefix ?? 'sim'}-${i}`;
        const body = { token: secret, rootSha256, name, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), facts: { agent: 'skiff-fleet-sim' } };
        const res = await pool.request({ method: 'POST', path: `${API}/enroll`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const text = await res.body.text();
        if (res.statusCode !== 201) throw new Error(`enrolling ${name} answered ${res.statusCode}: ${text}`);
        const answer = JSON.parse(text) as { instance: { id: string; app: string }; credential: string; roots: string[] };
        if (!roots) {
          roots = answer.roots;
          app = answer.instance.app;
        } else if (answer.roots.length !== roots.length || answer.roots.some((r, k) => r !== roots?.[k])) throw new Error(`enrolling ${name}: the hub sent another root chain`);
        agents[i] = { index: i, id: answer.instance.id, name, credential: answer.credential, verifies: i % every === 0, etag: null, issued: null, desired: null, current: null, failed: null, usedInstallNow: false, lastReportMs: 0 };
      });
    } catch (e) {
      await pool.close();
      throw e;
    }
    if (!roots) throw new Error('no agent was enrolled (count 0)');
    return new FleetSim(opts, app, trustedChain(roots, rootSha256, app), agents, pool);
  }

  /**
   * Adds `count` agents written straight into the hub's database — the instance and its credential, as enrollment
   * writes them, a batch per audited mutation — for fleets too large to enroll one by one in a bench: each
   * enrollment is one serialized, audited transaction (~50/s on PostgreSQL on a busy 2-core machine).
   */
  async seed(opts: { db: MetadataDb; customer: string; count: number; namePrefix?: string; batch?: number }): Promise<void> {
    const c = await opts.db.getCustomerByName(opts.customer);
    if (!c) throw new Error(`customer "${opts.customer}" not found`);
    const batch = opts.batch ?? 500;
    for (let from = 0; from < opts.count; from += batch) {
      const n = Math.min(batch, opts.count - from);
      const made = await opts.db.mutate(async (tx) => {
        const out: { id: string; name: string; credential: string }[] = [];
        for (let k = 0; k < n; k++) {
          const name = `${opts.namePrefix ?? 'seeded'}-${from + k}`;
          const { publicKey } = generateKeyPairSync('ed25519');
          const credential = mintToken('ski_');
          const inst = await tx.createInstance({ customerId: c.id, app: this.app, name, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), facts: { agent: 'skiff-fleet-sim' } });
          await tx.createToken({ kind: 'instance', hash: credential.hash, name: `instance ${name}`, userId: null, customerId: c.id, instanceId: inst.id, scopes: [], expiresAt: null });
          out.push({ id: inst.id, name, credential: credential.token });
        }
        return out;
      }, { actor: 'system', action: 'bench.seed-fleet', target: `customer:${c.name}/app:${this.app}`, address: 'local', details: { from, count: n } });
      for (const m of made) {
        const index = this.#agents.length;
        this.#agents.push({ index, ...m, verifies: index % this.#verifyEvery === 0, etag: null, issued: null, desired: null, current: null, failed: null, usedInstallNow: false, lastReportMs: 0 });
      }
    }
  }

  /** One poll of one agent: a 304 keeps its answer; a 200 is taken (verified by the agents that verify) and applied. */
  async poll(agent: SimAgent): Promise<PollOutcome> {
    const headers: Record<string, string> = { authorization: `Bearer ${agent.credential}` };
    if (agent.etag) headers['if-none-match'] = agent.etag;
    const t0 = performance.now();
    this.stats.polls++;
    try {
      const res = await this.#pool.request({ method: 'GET', path: `${API}/instances/self/desired`, headers });
      const text = await res.body.text();
      this.stats.latenciesMs.push(performance.now() - t0);
      if (res.statusCode === 304) {
        this.stats.notModified++;
        return 'not-modified';
      }
      if (res.statusCode === 401) return this.#failed('unauthorized', `${agent.name}: 401 ${text}`);
      if (res.statusCode !== 200) return this.#failed('error', `${agent.name}: ${res.statusCode} ${text}`);
      const body: unknown = JSON.parse(text);
      const desired = agent.verifies ? this.#verify(agent, body) : ((body as { signed: DesiredSigned }).signed);
      agent.etag = typeof res.headers.etag === 'string' ? res.headers.etag : null;
      agent.issued = desired.issued;
      agent.desired = desired;
      this.stats.changed++;
      const target = desired.release?.version ?? null;
      if (applyDesired(agent, target, desired.installNow, () => this.script(agent.index, target ?? ''), this.#now())) {
        if (agent.current === target) this.stats.upgrades++;
        await this.report(agent);
      }
      return 'changed';
    } catch (e) {
      return this.#failed('error', `${agent.name}: ${(e as Error).message}`);
    }
  }

  get agents(): readonly SimAgent[] {
    return this.#agents;
  }

  /** Every agent polls once (bounded concurrency). */
  async pollAll(): Promise<void> {
    await forEachBounded(this.agents, this.#concurrency, async (a) => void (await this.poll(a)));
  }

  /** Every agent reports once (bounded concurrency). */
  async reportAll(): Promise<void> {
    await forEachBounded(this.agents, this.#concurrency, (a) => this.report(a));
  }

  /** A status report as the agent sends it (all services healthy). */
  async report(agent: SimAgent): Promise<void> {
    const report = {
      currentVersion: agent.current,
      desiredVersion: agent.desired?.release?.version ?? null,
      phase: 'idle',
      health: agent.current === null ? 'unknown' : 'healthy',
      services: agent.current === null ? [] : [{ service: 'app', state: 'running', health: 'healthy' }],
      diskFreeBytes: 50 * 2 ** 30,
      agentVersion: 'fleet-sim',
      lastError: null,
      history: [],
      failedRelease: agent.failed,
    };
    agent.lastReportMs = performance.now();
    try {
      const res = await this.#pool.request({ method: 'POST', path: `${API}/instances/self/status`, headers: { authorization: `Bearer ${agent.credential}`, 'content-type': 'application/json' }, body: JSON.stringify(report) });
      const text = await res.body.text();
      if (res.statusCode !== 204) this.#failed('error', `${agent.name} report: ${res.statusCode} ${text}`);
      else this.stats.reports++;
    } catch (e) {
      this.#failed('error', `${agent.name} report: ${(e as Error).message}`);
    }
  }

  /**
   * Every agent polls on its own schedule for the duration (first polls spread over one interval, then interval ±
   * jitter), reporting on a heartbeat; returns the stats of this run.
   */
  async run(opts: RunOptions): Promise<SimStats> {
    this.stats = newStats();
    const end = performance.now() + opts.durationMs;
    const jitter = opts.jitter ?? 0.1;
    const every = opts.reportEveryMs ?? 300_000;
    const interval = (a: SimAgent): number => opts.pollEveryMs ?? (a.desired?.pollSeconds ?? 30) * 1000;
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, end - performance.now()))));
    // The pool bounds requests in flight; agents past it wait their turn, as a crowd of real agents would.
    await Promise.all(
      this.agents.map(async (a) => {
        await sleep(Math.random() * interval(a));
        while (performance.now() < end) {
          await this.poll(a);
          if (performance.now() - a.lastReportMs >= every && performance.now() < end) await this.report(a);
          await sleep(interval(a) * (1 + jitter * (2 * Math.random() - 1)));
        }
      }),
    );
    return this.stats;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  #verify(agent: SimAgent, body: unknown): DesiredSigned {
    const desired = verifyDesired(body, { root: this.root, app: this.app, instance: agent.id, now: this.#now(), ...(agent.issued ? { lastIssued: agent.issued } : {}) });
    this.stats.verified++;
    return desired;
  }

  #failed(outcome: PollOutcome, message: string): PollOutcome {
    this.stats.errors++;
    if (this.stats.errorSamples.length < 5) this.stats.errorSamples.push(message);
    return outcome;
  }
}
