// Reads the engine's JSON-lines progress streams (pull, import, build) to the end; an error line becomes ENGINE_ERROR.
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { SkiffError } from '../util/index.ts';

function errorOf(ev: unknown): string | undefined {
  if (typeof ev !== 'object' || ev === null) return undefined;
  const detail = (ev as { errorDetail?: { message?: unknown } }).errorDetail;
  if (detail && typeof detail.message === 'string' && detail.message !== '') return detail.message;
  const error = (ev as { error?: unknown }).error;
  if (typeof error === 'string' && error !== '') return error;
  return undefined;
}

/**
 * Consumes a JSON-lines stream, handing each event to `onEvent`; throws ENGINE_ERROR naming `what`
 * at the first line that carries `error`/`errorDetail`. Returns every event, for callers that need an ID.
 */
export async function readJsonLines(body: Readable, what: string, onEvent?: (ev: unknown) => void): Promise<unknown[]> {
  const events: unknown[] = [];
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  let failure: string | undefined;
  try {
    for await (const line of lines) {
      if (line.trim() === '' || failure !== undefined) continue;
      let ev: unknown;
      try {
        ev = JSON.parse(line);
      } catch {
        ev = { stream: line };
      }
      const err = errorOf(ev);
      if (err !== undefined) {
        failure = err;
        continue;
      }
      events.push(ev);
      onEvent?.(ev);
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'AbortError') throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new SkiffError('ENGINE_ERROR', `Docker Engine: ${what} was cut off: ${why.replace(/\s+/g, ' ').trim()}`, { cause: e });
  }
  if (failure !== undefined) {
    throw new SkiffError('ENGINE_ERROR', `Docker Engine: ${what} failed: ${failure.replace(/\s+/g, ' ').trim()}`);
  }
  return events;
}
