// Log collection by the connected agent: containers' output followed, redacted and spooled on disk, shipped to the hub.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DockerEngine } from '../../../engine/index.ts';
import type { HubConnection } from '../../../hub-client/index.ts';
import { errorMessage } from '../../../util/index.ts';
import { ContainerLogCollector, runningSecrets, type CollectEngine } from './collect.ts';
import { FileLogCollector } from './files.ts';
import { runningLogTargets } from './targets.ts';
import { shipLogs, type ShipOptions } from './ship.ts';
import { LogSpool, type SpoolLimits } from './spool.ts';

export { LogSpool } from './spool.ts';
export { levelOf } from './collect.ts';
export { FileLogCollector, type LogFileTarget } from './files.ts';

export interface LogAgentOptions {
  readonly stateDir: string;
  readonly app: string;
  readonly instanceId: string;
  readonly conn: HubConnection;
  readonly engine: CollectEngine & Pick<DockerEngine, 'volumeInspect'>;
  readonly log?: (line: string) => void;
  /** How often the running containers are listed (new ones followed); default 2 s. */
  readonly scanEveryMs?: number;
  readonly spool?: SpoolLimits;
  readonly ship?: ShipOptions;
}

/** The spool's place in the state directory. */
export const spoolDir = (stateDir: string): string => join(stateDir, 'connected', 'logs');

/** Runs collection and shipping until `stop()`; stop writes out what was read and waits for the batch in flight. */
export async function startLogAgent(opts: LogAgentOptions): Promise<{ spool: LogSpool; stop(): Promise<void> }> {
  const log = opts.log ?? (() => undefined);
  const spool = await LogSpool.open(spoolDir(opts.stateDir), opts.spool);
  const secrets = (): Promise<string[]> => runningSecrets(opts.stateDir);
  const collector = new ContainerLogCollector(opts.engine, opts.app, spool, secrets, log);
  const files = new FileLogCollector(spool, secrets);
  const ac = new AbortController();
  const scanning = (async () => {
    while (!ac.signal.aborted) {
      await collector.scan().catch((e: unknown) => log(`log collection: ${errorMessage(e)}`));
      await runningLogTargets(opts.stateDir, opts.engine)
        .then((targets) => files.scan(targets))
        .catch((e: unknown) => log(`log files: ${errorMessage(e)}`));
      await sleep(opts.scanEveryMs ?? 2000, undefined, { signal: ac.signal }).catch(() => undefined);
    }
  })();
  const shipping = shipLogs(spool, opts.conn, opts.instanceId, ac.signal, log, opts.ship);
  return {
    spool,
    async stop() {
      ac.abort();
      await scanning;
      await collector.stop();
      await files.stop();
      await shipping;
    },
  };
}
