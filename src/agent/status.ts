// What the agent reports: installed and previous release, the operation in flight, containers and health.
// Secret settings are never shown.
// What it needs besides the state directory (the engine client, releases, Compose) loads once there is an app to
// report: `skiff agent status` on a wrong or empty directory answers without them.
import type { DockerEngine } from '../engine/index.ts';
import { errorMessage } from '../util/index.ts';
import { StateDir, type HistoryEntry, type Installed } from './state.ts';

const reporting = async () => {
  const [{ DockerEngine }, { Label }, { findRelease }, { ownedContainers, specHashes }, { secretNames }] = await Promise.all([
    import('../engine/index.ts'),
    import('../oci/index.ts'),
    import('../release/index.ts'),
    import('./deploy.ts'),
    import('./secrets.ts'),
  ]);
  return { DockerEngine, Label, findRelease, ownedContainers, specHashes, secretNames };
};

export interface ServiceStatus {
  readonly service: string;
  readonly container: string;
  readonly release: string;
  readonly state: string;
  readonly health: string;
}

export interface AgentStatus {
  readonly app?: string;
  readonly current?: { version: string; digest: string; installedAt: string; values: Record<string, string> };
  readonly previous?: { version: string; digest: string };
  readonly operation?: { op: string; phase: string; to: string; from?: string; since: string };
  readonly trust?: { rootVersion: number; rootExpires: string; lastVerified: string };
  readonly services: readonly ServiceStatus[];
  readonly engine: string;
  readonly history: readonly HistoryEntry[];
}

async function redacted(sd: StateDir, app: string, inst: Installed): Promise<Record<string, string>> {
  const { findRelease, secretNames } = await reporting();
  const release = await findRelease(sd.store, app, inst.version).catch(() => undefined);
  const secret = secretNames(release?.manifest, inst);
  return Object.fromEntries(Object.entries(inst.values).map(([k, v]) => [k, secret.has(k) ? '******' : v]));
}

export async function agentStatus(stateDir: string): Promise<AgentStatus> {
  const sd = new StateDir(stateDir);
  const [state, journal, trust] = await Promise.all([sd.readState(), sd.readJournal(), sd.readTrust()]);
  const services: ServiceStatus[] = [];
  let engineNote = 'ok';
  if (state) {
    const { DockerEngine, Label, findRelease, ownedContainers, specHashes } = await reporting();
    let engine: DockerEngine | undefined;
    try {
      engine = await DockerEngine.connect();
      const current = state.current && (await findRelease(sd.store, state.app, state.current.version).catch(() => undefined));
      const runs = current && state.current ? specHashes({ release: current.manifest, values: state.current.values }) : new Map<string, string>();
      for (const c of (await ownedContainers(engine, state.app)).filter((x) => x.labels[Label.hook] === undefined)) {
        const i = await engine.containerInspect(c.id);
        services.push({
          service: c.labels[Label.service] ?? '?',
          container: c.names[0] ?? c.id.slice(0, 12),
          // A service kept across upgrades was created by an older release but runs the current one's spec.
          release: state.current && runs.get(c.labels[Label.service] ?? '') === c.labels[Label.configHash] ? state.current.version : (c.labels[Label.release] ?? '?'),
          state: i?.state.status ?? c.state,
          health: i?.state.health?.status ?? 'none',
        });
      }
    } catch (e) {
      engineNote = errorMessage(e);
    } finally {
      await engine?.close();
    }
  }
  return {
    ...(state ? { app: state.app } : {}),
    ...(state?.current
      ? { current: { version: state.current.version, digest: state.current.digest, installedAt: state.current.installedAt, values: await redacted(sd, state.app, state.current) } }
      : {}),
    ...(state?.previous ? { previous: { version: state.previous.version, digest: state.previous.digest } } : {}),
    ...(journal ? { operation: { op: journal.op, phase: journal.phase, to: journal.to.version, ...(journal.from ? { from: journal.from.version } : {}), since: journal.startedAt } } : {}),
    ...(trust ? { trust: { rootVersion: trust.root.signed.version, rootExpires: trust.root.signed.expires, lastVerified: trust.lastVerified } } : {}),
    services: services.sort((a, b) => a.service.localeCompare(b.service)),
    engine: engineNote,
    history: state?.history ?? [],
  };
}
