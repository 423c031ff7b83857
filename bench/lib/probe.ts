// The downtime probe: an HTTP GET to 127.0.0.1 every 10 ms with a short timeout, bounded in time; reports the
// longest stretch without an answer (from the last good probe before it to the first good one after it).
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { sleep } from './run.ts';

const PERIOD_MS = 10;
const TIMEOUT_MS = 200;

export function probeOnce(port: number, path = '/healthz'): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: TIMEOUT_MS, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface ProbeReport {
  readonly probes: number;
  readonly failed: number;
  /** Longest time without a good answer, ms (0 when every probe answered). */
  readonly longestGapMs: number;
}

export class ProbeLoop {
  readonly #port: number;
  #stop = false;
  #running: Promise<ProbeReport> | undefined;

  constructor(port: number) {
    this.#port = port;
  }

  /** Starts probing; ends by itself after `maxMs`. */
  start(maxMs = 120_000): void {
    this.#running = this.#loop(maxMs);
  }

  async stop(): Promise<ProbeReport> {
    this.#stop = true;
    if (!this.#running) throw new Error('probe loop was not started');
    return this.#running;
  }

  async #loop(maxMs: number): Promise<ProbeReport> {
    const t0 = performance.now();
    let probes = 0;
    let failed = 0;
    let lastOk: number | undefined;
    let down = false;
    let longest = 0;
    while (!this.#stop && performance.now() - t0 < maxMs) {
      const at = performance.now();
      const ok = await probeOnce(this.#port);
      probes++;
      if (ok) {
        const now = performance.now();
        if (down && lastOk !== undefined) longest = Math.max(longest, now - lastOk);
        lastOk = now;
        down = false;
      } else {
        failed++;
        down = true;
      }
      await sleep(Math.max(0, PERIOD_MS - (performance.now() - at)));
    }
    return { probes, failed, longestGapMs: longest };
  }
}

/** Milliseconds from now until the first good probe (bounded by `maxMs`; throws after it). */
export async function untilHealthy(port: number, maxMs = 120_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    if (await probeOnce(port)) return performance.now() - t0;
    await sleep(PERIOD_MS);
  }
  throw new Error(`127.0.0.1:${port} did not answer /healthz within ${maxMs} ms`);
}
