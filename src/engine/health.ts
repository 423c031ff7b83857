// Waits for a container to become healthy (or, without a healthcheck, to keep running), the gate of every switch.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerInspect } from './types.ts';

/** The part of the engine that health gating needs, so callers can pass any client. */
export interface ContainerInspector {
  containerInspect(id: string, signal?: AbortSignal): Promise<ContainerInspect | undefined>;
}

export interface WaitHealthyOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  pollMs?: number;
  /** how long a container without a healthcheck must stay running to count as up */
  minRunningMs?: number;
}

export type HealthResult = { ok: true } | { ok: false; reason: string };

const MAX_OUTPUT = 300;

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > MAX_OUTPUT ? `${line.slice(0, MAX_OUTPUT)}…` : line;
}

function lastProbe(c: ContainerInspect): string {
  const probe = c.state.health?.log.at(-1);
  if (probe === undefined) return 'no probe has run yet';
  const output = oneLine(probe.output);
  return `last probe exited ${probe.exitCode}${output === '' ? ' with no output' : `: ${output}`}`;
}

/** Why a container has failed for good, or undefined while it may still come up. */
function failure(c: ContainerInspect): string | undefined {
  if (c.state.restarting || c.state.status === 'restarting') {
    return `container ${c.name} is restarting (exit code ${c.state.exitCode}, ${c.restartCount} restarts)`;
  }
  if (!c.state.running) {
    const error = c.state.error === '' ? '' : `: ${oneLine(c.state.error)}`;
    return `container ${c.name} is ${c.state.status || 'not running'} (exit code ${c.state.exitCode})${error}`;
  }
  if (c.state.health?.status === 'unhealthy') return `container ${c.name} is unhealthy: ${lastProbe(c)}`;
  return undefined;
}

function describe(c: ContainerInspect): string {
  const health = c.state.health;
  if (health === undefined || health.status === 'none') return `container ${c.name} is ${c.state.status}`;
  return `container ${c.name} is ${health.status}: ${lastProbe(c)}`;
}

/**
 * Polls the container until it is healthy (or, with no healthcheck, running for `minRunningMs`).
 * Not ok when it exits, restarts, turns unhealthy or the timeout passes; the reason names the
 * state and the last probe's output. An aborted signal throws its reason.
 */
export async function waitHealthy(engine: ContainerInspector, containerId: string, opts: WaitHealthyOptions): Promise<HealthResult> {
  const pollMs = opts.pollMs ?? 200;
  const minRunningMs = opts.minRunningMs ?? 1000;
  const deadline = Date.now() + opts.timeoutMs;
  let runningSince: number | undefined;
  let restarts: number | undefined;
  for (;;) {
    opts.signal?.throwIfAborted();
    const last = await engine.containerInspect(containerId, opts.signal);
    if (last === undefined) return { ok: false, reason: `container ${containerId} is gone` };
    restarts ??= last.restartCount;
    // A crash loop can restart between two polls: a higher restart count is a failure too.
    if (last.restartCount > restarts) {
      return { ok: false, reason: `container ${last.name} restarted while starting (exit code ${last.state.exitCode}, ${last.restartCount} restarts)` };
    }
    const failed = failure(last);
    if (failed !== undefined) return { ok: false, reason: failed };
    const health = last.state.health;
    if (health !== undefined && health.status === 'healthy') return { ok: true };
    if (health === undefined || health.status === 'none') {
      runningSince ??= Date.now();
      if (Date.now() - runningSince >= minRunningMs) return { ok: true };
    }
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, reason: `timed out after ${Math.round(opts.timeoutMs / 1000)} s: ${describe(last)}` };
    await sleep(Math.min(pollMs, left), undefined, opts.signal ? { signal: opts.signal } : undefined);
  }
}
