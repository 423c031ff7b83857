// Release hooks (x-skiff.hooks): a one-off container of a service of the new release — its image, environment with the
// site's values, volumes and networks, no ports — running the hook's command within a timeout. Not ok when it exits
// non-zero or hangs; the reason quotes its last output lines.
import { randomBytes } from 'node:crypto';
import type { ComposeProject, HookSpec } from '../compose/index.ts';
import type { AgentEngine } from '../engine/index.ts';
import { Label } from '../oci/index.ts';
import type { ReleaseManifest } from '../release/index.ts';
import { errorMessage } from '../util/index.ts';
import { containerBody, extraNetworks } from './containers.ts';

export const DEFAULT_HOOK_TIMEOUT_MS = 5 * 60_000;
const LAST_LINES = 5;

export type HookResult = { ok: true } | { ok: false; reason: string };

/** The last lines a container wrote, on one line (`a | b | c`), or a note that it wrote none. */
async function lastLines(engine: AgentEngine, id: string): Promise<string> {
  const text = await engine.containerLogs(id, { tail: LAST_LINES }).catch((e: unknown) => `(its output could not be read: ${errorMessage(e)})`);
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length === 0 ? 'it wrote no output' : `its last output: ${lines.join(' | ').slice(0, 600)}`;
}

export async function runHook(
  engine: AgentEngine,
  release: ReleaseManifest,
  project: ComposeProject,
  hook: HookSpec,
  opts: { signal?: AbortSignal; onStarted?: () => Promise<void> } = {},
): Promise<HookResult> {
  const app = release.app;
  const svc = project.services[hook.service]!;
  const base = containerBody(app, release, project, svc);
  const { [Label.configHash]: _hash, ...labels } = base.Labels ?? {};
  const id = await engine.containerCreate(`${app}-${hook.name}-${randomBytes(3).toString('hex')}`, {
    ...base,
    Cmd: [...hook.command],
    Labels: { ...labels, [Label.hook]: hook.name, 'com.docker.compose.oneoff': 'True' },
    Healthcheck: { Test: ['NONE'] },
    ExposedPorts: {},
    HostConfig: { ...base.HostConfig, PortBindings: {}, RestartPolicy: { Name: 'no' } },
  });
  const what = `hook ${hook.name} (${hook.command.join(' ')}, service ${hook.service})`;
  const timeoutMs = hook.timeoutNs === undefined ? DEFAULT_HOOK_TIMEOUT_MS : hook.timeoutNs / 1e6;
  try {
    for (const n of extraNetworks(app, svc)) await engine.networkConnect(n, id, [hook.service]);
    await engine.containerStart(id);
    await opts.onStarted?.();
    const timeout = AbortSignal.timeout(timeoutMs);
    let code: number;
    try {
      code = await engine.containerWait(id, opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout);
    } catch (e) {
      if (!timeout.aborted) throw e;
      await engine.containerStop(id, 1).catch(() => undefined);
      return { ok: false, reason: `${what} did not finish within ${Math.round(timeoutMs / 1000)} s; ${await lastLines(engine, id)}` };
    }
    if (code !== 0) return { ok: false, reason: `${what} exited ${code}; ${await lastLines(engine, id)}` };
    return { ok: true };
  } finally {
    await engine.containerRemove(id, { force: true }).catch(() => undefined);
  }
}
