// What a support bundle collects, collector by collector: host facts (from the OS, so they work with the engine down),
// the engine's version, `docker inspect` and recent logs of the containers the agent owns, and the agent's own records.
// A collector that fails is recorded with its reason; the others still run.
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import { DockerEngine } from '../../engine/index.ts';
import { AGENT_VERSION } from '../../release/index.ts';
import { errorMessage } from '../../util/index.ts';
import { ownedContainers } from '../deploy.ts';
import type { StateDir } from '../state.ts';
import { ownedContainerLogs } from './container-logs.ts';

/** One file of the bundle, before redaction. */
export interface CollectedFile {
  readonly path: string;
  readonly text: string;
}

export interface CollectorResult {
  readonly name: string;
  readonly description: string;
  readonly files: readonly string[];
  readonly error?: string;
}

/** All containers' logs in one bundle stay under this. */
export const SUPPORT_LOG_BYTES = 32 * 1024 * 1024;
const LOG_TAIL_LINES = 5000;

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

type Collector = { name: string; description: string; run: () => Promise<CollectedFile[]> };

export async function collectSupport(sd: StateDir, secrets: readonly string[]): Promise<{ files: CollectedFile[]; collectors: CollectorResult[] }> {
  const state = await sd.readState().catch(() => undefined);
  const app = state?.app;
  let engine: DockerEngine | undefined;
  let engineError: string | undefined;
  const withEngine = async (): Promise<DockerEngine> => {
    if (engine) return engine;
    if (engineError !== undefined) throw new Error(engineError);
    try {
      engine = await DockerEngine.connect();
      return engine;
    } catch (e) {
      engineError = `the Docker Engine did not answer: ${errorMessage(e)}`;
      throw new Error(engineError, { cause: e });
    }
  };
  const collectors: Collector[] = [
    { name: 'host', description: 'OS release, kernel, memory, disk free of the state directory, uptime (from the OS, not the engine)', run: () => hostFacts(sd.dir) },
    {
      name: 'agent',
      description: "the agent's state (installed releases, values with secrets redacted, history), journal and trust summary",
      run: async () => {
        const [journal, trust] = await Promise.all([sd.readJournal(), sd.readTrust()]);
        return [
          { path: 'agent/state.json', text: json(state ?? null) },
          { path: 'agent/history.json', text: json(state?.history ?? []) },
          { path: 'agent/journal.json', text: json(journal ?? null) },
          { path: 'agent/trust.json', text: json(trust ? { rootVersion: trust.root.signed.version, rootExpires: trust.root.signed.expires, highestVersion: trust.highestVersion ?? null, lastVerified: trust.lastVerified } : null) },
        ];
      },
    },
    {
      name: 'engine',
      description: 'Docker version and engine info',
      run: async () => {
        const e = await withEngine();
        return [{ path: 'engine/version.json', text: json({ serverVersion: e.serverVersion, apiVersion: e.apiVersion, endpoint: e.endpoint, info: await e.info() }) }];
      },
    },
    {
      name: 'containers',
      description: "docker inspect of each container the agent owns (label skiff.app)",
      run: async () => {
        if (!app) return [];
        const e = await withEngine();
        const out: CollectedFile[] = [];
        for (const c of await ownedContainers(e, app)) out.push({ path: `containers/${(c.names[0] ?? c.id).replace(/^\//, '')}.json`, text: json(await e.containerInspectRaw(c.id)) });
        return out;
      },
    },
    {
      name: 'logs',
      description: `the last ${LOG_TAIL_LINES} lines of stdout/stderr of each container the agent owns`,
      run: async () => {
        if (!app) return [];
        const logs = await ownedContainerLogs(await withEngine(), app, { tail: LOG_TAIL_LINES, maxBytes: SUPPORT_LOG_BYTES }, secrets);
        return logs.map((l) => ({ path: `logs/${l.container}.log`, text: l.text }));
      },
    },
  ];
  const files: CollectedFile[] = [];
  const results: CollectorResult[] = [];
  try {
    for (const c of collectors) {
      try {
        const got = await c.run();
        files.push(...got);
        results.push({ name: c.name, description: c.description, files: got.map((f) => f.path) });
      } catch (e) {
        results.push({ name: c.name, description: c.description, files: [], error: errorMessage(e) });
      }
    }
  } finally {
    await engine?.close();
  }
  return { files, collectors: results };
}

async function hostFacts(stateDir: string): Promise<CollectedFile[]> {
  const osRelease = await readFile('/etc/os-release', 'utf8').catch((e: unknown) => `unreadable: ${errorMessage(e)}\n`);
  const disk = await statfs(stateDir).catch(() => undefined);
  const facts = {
    hostname: os.hostname(),
    platform: os.platform(),
    arch: os.arch(),
    kernel: os.release(),
    kernelVersion: os.version(),
    uptimeSeconds: Math.round(os.uptime()),
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    disk: disk ? { path: stateDir, freeBytes: disk.bavail * disk.bsize, totalBytes: disk.blocks * disk.bsize } : null,
    agentVersion: AGENT_VERSION,
    node: process.version,
  };
  return [
    { path: 'host/os-release', text: osRelease },
    { path: 'host/facts.json', text: json(facts) },
  ];
}
