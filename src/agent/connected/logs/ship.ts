// Ships the spool to the hub: one batch in flight, acknowledged lines forgotten, exponential back-off (with jitter)
// while the hub is out of reach. At-least-once: a batch the hub stored but whose answer was lost is sent again, and
// the hub ignores the lines it already has (by stream and sequence number).
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, HubClient, type HubConnection } from '../../../hub-client/index.ts';
import { errorMessage, isSkiffError } from '../../../util/index.ts';
import type { LogSpool } from './spool.ts';

export interface ShipOptions {
  readonly maxLines?: number;
  /** Back-off between failed sends: first wait and cap. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How long to wait for new lines before looking again. */
  readonly idleMs?: number;
}

/** Sends batches until the signal aborts; returns after the batch in flight ends. */
export async function shipLogs(spool: LogSpool, conn: HubConnection, instanceId: string, signal: AbortSignal, log: (l: string) => void, opts: ShipOptions = {}): Promise<void> {
  const client = new HubClient(conn, { retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 } });
  const policy = { attempts: Infinity, baseDelayMs: opts.baseDelayMs ?? 500, maxDelayMs: opts.maxDelayMs ?? 60_000 };
  let failures = 0;
  while (!signal.aborted) {
    const lines = await spool.nextBatch(opts.maxLines ?? 1000);
    if (lines.length === 0) {
      await spool.waitForLines(opts.idleMs ?? 1000);
      continue;
    }
    const last = lines.at(-1)?.seq ?? 0;
    try {
      await client.post(`/instances/${instanceId}/logs`, { stream: spool.stream, lines });
      await spool.ack(last);
      if (failures > 0) log(`log shipping resumed after ${failures} failed attempt(s); ${spool.pending} line(s) still spooled`);
      failures = 0;
    } catch (e) {
      // A batch the hub refuses as malformed would block the spool for ever: it is dropped, and said so.
      if (isSkiffError(e, 'INVALID_INPUT') || isSkiffError(e, 'TOO_LARGE')) {
        log(`log batch ${lines[0]?.seq}-${last} refused by the hub and dropped: ${errorMessage(e)}`);
        await spool.ack(last);
        continue;
      }
      failures += 1;
      if (failures === 1 || failures % 10 === 0) log(`log shipping: ${errorMessage(e)}; ${spool.pending} line(s) spooled, retrying`);
      await sleep(backoffDelay(failures, policy), undefined, { signal }).catch(() => undefined);
    }
  }
}
