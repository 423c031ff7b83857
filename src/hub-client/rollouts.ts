// The typed client of the hub's /rollouts routes (the CLI's `skiff rollout` uses it).
import type { HubClient } from './client.ts';

export interface RolloutGroupView {
  readonly group: number;
  readonly size: number;
  readonly committed: number;
  readonly failed: number;
  readonly pending: number;
  readonly startedAt: string | null;
  readonly succeededAt: string | null;
  readonly approved: boolean;
}

export interface RolloutView {
  readonly id: string;
  readonly app: string;
  readonly version: string;
  readonly state: 'running' | 'paused' | 'cancelled' | 'finished';
  readonly reason: string | null;
  readonly plan: { readonly successThreshold: number; readonly errorThreshold: number; readonly soakSeconds: number; readonly gates: readonly number[]; readonly retries: number };
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly groups: readonly RolloutGroupView[];
}

/** The body of POST /rollouts (src/hub/rollouts.ts RolloutCreateSchema checks it). */
export interface RolloutCreateBody {
  readonly app: string;
  readonly version: string;
  readonly groups: readonly ({ count: number } | { percent: number })[];
  readonly successThreshold?: number;
  readonly errorThreshold?: number;
  readonly soakSeconds?: number;
  readonly gates?: readonly number[];
  readonly windows?: readonly unknown[];
  readonly retries?: number;
  readonly backoffSeconds?: number;
  readonly channel?: string;
  readonly customers?: readonly string[];
  readonly canary?: readonly string[];
  /** Only instances with every one of these tags. */
  readonly tags?: Readonly<Record<string, string>>;
}

const at = (id: string, action = ''): string => `/rollouts/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

export class RolloutsClient {
  readonly #c: Pick<HubClient, 'request' | 'get' | 'post'>;

  constructor(client: Pick<HubClient, 'request' | 'get' | 'post'>) {
    this.#c = client;
  }

  create(body: RolloutCreateBody): Promise<RolloutView> {
    return this.#c.post<RolloutView>('/rollouts', body);
  }

  async list(f: { app?: string; state?: string } = {}): Promise<RolloutView[]> {
    const q = new URLSearchParams({ ...(f.app ? { app: f.app } : {}), ...(f.state ? { state: f.state } : {}) }).toString();
    return (await this.#c.get<{ rollouts: RolloutView[] }>(`/rollouts${q ? `?${q}` : ''}`)).rollouts;
  }

  get(id: string): Promise<RolloutView> {
    return this.#c.get<RolloutView>(at(id));
  }

  pause(id: string, reason?: string): Promise<RolloutView> {
    return this.#c.post<RolloutView>(at(id, 'pause'), reason ? { reason } : {});
  }

  resume(id: string): Promise<RolloutView> {
    return this.#c.post<RolloutView>(at(id, 'resume'), {});
  }

  cancel(id: string, reason?: string): Promise<RolloutView> {
    return this.#c.post<RolloutView>(at(id, 'cancel'), reason ? { reason } : {});
  }

  retry(id: string, instances?: readonly string[]): Promise<{ retried: string[]; rollout: RolloutView }> {
    return this.#c.post(at(id, 'retry'), instances && instances.length > 0 ? { instances } : {});
  }
}
