// The one reading of the hub's error answers: `{ "error": { code, message } }` becomes a SkiffError with that code.
import { SkiffError, type SkiffErrorCode } from '../util/errors.ts';

const isCode = (c: unknown): c is SkiffErrorCode => typeof c === 'string' && /^[A-Z][A-Z_]*$/.test(c);

/** The error a non-2xx answer carries; a body that is not the hub's names the status and request instead. */
export function hubError(status: number, text: string, method: string, url: string): SkiffError {
  let err: { code?: unknown; message?: unknown } | undefined;
  try {
    err = (JSON.parse(text) as { error?: typeof err }).error;
  } catch {
    err = undefined;
  }
  const fallback: SkiffErrorCode = status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'FORBIDDEN' : status === 404 ? 'NOT_FOUND' : status === 429 ? 'RATE_LIMITED' : 'INTERNAL';
  const code = isCode(err?.code) ? err.code : fallback;
  const message = typeof err?.message === 'string' ? err.message : `HTTP ${status} from ${method} ${url}`;
  return new SkiffError(code, `hub: ${message.split('\n')[0]}`);
}

/** A request that never got an answer (refused, reset, DNS, TLS). */
export function unreachable(hub: string, e: unknown, hint = 'check --hub'): SkiffError {
  const err = e as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  const cause = err.cause?.code ?? err.code ?? err.cause?.message ?? err.message ?? String(e);
  return new SkiffError('HUB_UNREACHABLE', `cannot reach the hub at ${hub}: ${cause}; ${hint}`, { cause: e });
}
