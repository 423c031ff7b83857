// The `hub serve` process's last resort for an error nothing caught: log it; serve on only when it is a client's hang-up.
import type { FastifyBaseLogger } from 'fastify';

/** Errors a stream raises when its client went away (closed, reset) or its request was aborted because of that. */
const CLIENT_GONE_CODES = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ABORT_ERR', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_DESTROYED']);

/** Whether `e` (or one of its causes) says that a client went away mid-stream. */
export function isClientGone(e: unknown): boolean {
  for (let cur = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    const code = (cur as NodeJS.ErrnoException).code;
    if (cur.name === 'AbortError' || (code !== undefined && CLIENT_GONE_CODES.has(code))) return true;
  }
  return false;
}

/**
 * Installs handlers for uncaught exceptions and unhandled rejections; returns a function that removes them.
 * Serving on is safe only for a client's hang-up: that error comes from the destroy of the one request's own streams,
 * which are torn down already, and no shared state (database, caches) is mid-change; anything else may have left shared
 * state half-changed, so the process exits (code 1) for its supervisor to restart it.
 */
export function installLastResort(log: FastifyBaseLogger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const handle = (kind: string) => (e: unknown) => {
    if (isClientGone(e)) {
      log.warn({ err: e }, `${kind} from a stream whose client went away; serving on`);
      return;
    }
    log.fatal({ err: e }, `${kind}; exiting, as the hub's state is unknown`);
    exit(1);
  };
  const onException = handle('uncaught exception');
  const onRejection = handle('unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
