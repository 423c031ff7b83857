// Follows the stdout and stderr of every container the agent owns through the engine (with timestamps), redacts each
// line, and spools it; after a restart each container resumes after the last line spooled from it.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { LogFrameSplitter, type DockerEngine } from '../../../engine/index.ts';
import { Label } from '../../../oci/index.ts';
import { findRelease } from '../../../release/index.ts';
import { ChunkRedactor, secretSettingValues } from '../../../redact/index.ts';
import { errorMessage } from '../../../util/index.ts';
import { secretNames } from '../../secrets.ts';
import { StateDir } from '../../state.ts';
import type { LogSpool, SpoolEntry, SpoolLine } from './spool.ts';

export type CollectEngine = Pick<DockerEngine, 'containerList' | 'containerLogStream'>;

/** Lines longer than this are cut (the hub accepts up to 16 KiB). */
const MAX_LINE = 8 * 1024;
const FLUSH_MS = 200;
const FLUSH_LINES = 500;

/** The level a line declares (`ERROR`, `level=warn`, `"level":"debug"` …); stderr without one is a warning. */
export function levelOf(message: string, stream: 'stdout' | 'stderr'): SpoolLine['level'] {
  const m = /\b(fatal|panic|crit(?:ical)?|err(?:or)?|warn(?:ing)?|info|debug|trace)\b/i.exec(message.slice(0, 200));
  const word = m?.[1]?.toLowerCase() ?? '';
  if (/^(fatal|panic|crit|err)/.test(word)) return 'error';
  if (word.startsWith('warn')) return 'warn';
  if (word === 'debug' || word === 'trace') return 'debug';
  if (word === 'info') return 'info';
  return stream === 'stderr' ? 'warn' : 'info';
}

/** An engine timestamp (RFC 3339, up to 9 fraction digits) with exactly 9, so that text order is time order. */
export function fixedNanos(ts: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(ts);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : undefined;
}

/** The engine's `since` for a cursor: seconds.nanoseconds. */
function sinceOf(cursor: string | undefined): string {
  if (!cursor) return '0';
  return `${Math.floor(Date.parse(cursor) / 1000)}.${cursor.slice(20, 29)}`;
}

/** The values of the running release's secret settings (all values when its release is unknown here). */
export async function runningSecrets(stateDir: string): Promise<string[]> {
  const sd = new StateDir(stateDir);
  const state = await sd.readState().catch(() => undefined);
  const inst = state?.current;
  if (!state || !inst) return [];
  const release = await findRelease(sd.store, state.app, inst.version).catch(() => undefined);
  return secretSettingValues(secretNames(release?.manifest, inst), inst.values);
}

export class ContainerLogCollector {
  readonly #engine: CollectEngine;
  readonly #app: string;
  readonly #spool: LogSpool;
  readonly #secrets: () => Promise<string[]>;
  readonly #log: (line: string) => void;
  readonly #following = new Map<string, AbortController>();
  #buffer: SpoolEntry[] = [];
  #flushing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(engine: CollectEngine, app: string, spool: LogSpool, secrets: () => Promise<string[]>, log: (line: string) => void) {
    this.#engine = engine;
    this.#app = app;
    this.#spool = spool;
    this.#secrets = secrets;
    this.#log = log;
  }

  /** Starts following the running containers not yet followed (called on every scan). */
  async scan(): Promise<void> {
    const running = await this.#engine.containerList({ label: [`${Label.app}=${this.#app}`] }, false);
    for (const c of running) {
      if (this.#following.has(c.id)) continue;
      const ac = new AbortController();
      this.#following.set(c.id, ac);
      const service = c.labels[Label.hook] ? `hook-${c.labels[Label.hook]}` : (c.labels[Label.service] ?? c.names[0] ?? c.id.slice(0, 12));
      void this.#follow(c.id, service, ac.signal)
        .catch((e: unknown) => ac.signal.aborted || this.#log(`logs of ${service}: ${errorMessage(e)}; following again at the next scan`))
        .finally(() => this.#following.delete(c.id));
    }
  }

  /** Stops every follower and writes out what was read. */
  async stop(): Promise<void> {
    for (const ac of this.#following.values()) ac.abort();
    clearTimeout(this.#timer);
    await this.flush();
  }

  flush(): Promise<void> {
    const batch = this.#buffer;
    this.#buffer = [];
    this.#flushing = this.#flushing.then(() => this.#spool.append(batch));
    return this.#flushing;
  }

  async #follow(id: string, service: string, signal: AbortSignal): Promise<void> {
    const key = `container:${id}`;
    const from = this.#spool.cursor(key);
    const secrets = await this.#secrets();
    const redactors = { stdout: new ChunkRedactor(secrets, MAX_LINE), stderr: new ChunkRedactor(secrets, MAX_LINE) };
    const splitter = new LogFrameSplitter();
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    let last = from;
    const stream: Readable = await this.#engine.containerLogStream(id, { since: sinceOf(from) }, signal);
    const add = (kind: 'stdout' | 'stderr', lines: string[]): void => {
      for (const raw of lines) {
        const space = raw.indexOf(' ');
        const at = fixedNanos(space > 0 ? raw.slice(0, space) : '');
        // The engine gives every line its time; a line cut at MAX_LINE continues without one.
        if (at && from && at <= from) continue;
        const cursor = at ?? last ?? new Date().toISOString().replace('Z', '000000Z');
        last = cursor;
        const message = at ? raw.slice(space + 1) : raw;
        this.#buffer.push({ at: `${cursor.slice(0, 23)}Z`, service, source: kind, level: levelOf(message, kind), message, cursorKey: key, cursor });
      }
      if (this.#buffer.length >= FLUSH_LINES) void this.flush();
      else this.#timer ??= setTimeout(() => ((this.#timer = undefined), void this.flush()), FLUSH_MS);
    };
    try {
      for await (const chunk of stream) {
        for (const frame of splitter.push(chunk as Buffer)) add(frame.stream, redactors[frame.stream].push(decoders[frame.stream].write(frame.data)));
      }
      for (const kind of ['stdout', 'stderr'] as const) add(kind, [...redactors[kind].push(decoders[kind].end()), ...redactors[kind].flush()]);
    } finally {
      stream.destroy();
    }
  }
}
