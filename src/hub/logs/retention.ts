// Runs the log store's retention on a timer (at start, then every interval) for as long as the hub runs.
import type { FastifyBaseLogger } from 'fastify';
import type { LogStore } from '../db/sql-logs.ts';

export const DEFAULT_RETENTION_EVERY_MS = 60 * 60_000;

/** Starts the timer; returns the function that stops it. A failed run is logged and tried again at the next tick. */
export function startLogRetention(store: LogStore, everyMs: number, log: FastifyBaseLogger): () => void {
  let running: Promise<void> | undefined;
  const tick = (): void => {
    running ??= store
      .applyRetention()
      .catch((e: unknown) => log.warn({ err: e }, 'log retention failed; it runs again at the next interval'))
      .finally(() => void (running = undefined));
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
