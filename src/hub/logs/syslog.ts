// Forwards stored log lines to the vendor's log system as RFC 5424 messages over TCP or TLS, octet-counted framing
// (RFC 6587 §3.4.1 / RFC 5425). One connection, reconnected with back-off; a bounded queue whose overflow is counted.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SkiffError } from '../../util/index.ts';
import type { StoredLogLine } from '../db/sql-logs.ts';
import type { LogSink, LogSource } from './sink.ts';

const SEVERITY = { error: 3, warn: 4, info: 6, debug: 7 } as const;
/** Documentation's private enterprise number (RFC 5612), for the structured data id. */
const SD_ID = 'skiff@32473';
const MAX_QUEUE = 20_000;
const MAX_BACKOFF_MS = 30_000;

export interface SyslogOptions {
  /** `tcp://host:port` or `tls://host:port`. */
  readonly url: string;
  /** PEM of the CA that signed the log system's certificate (TLS); the system's roots when absent. */
  readonly ca?: string | Buffer;
  /** The hub's client certificate and key (PEM), for a log system that asks for one (TLS). */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Syslog facility number; default 16 (local0). */
  readonly facility?: number;
  /** Where the forwarder says, in one line, that the log system cannot be reached (and when it can again). */
  readonly log?: (message: string) => void;
}

/** A checked syslog target, or USAGE naming what is wrong. */
export function parseSyslogUrl(url: string): { tls: boolean; host: string; port: number } {
  const m = /^(tcp|tls):\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(url);
  const port = Number(m?.[3]);
  if (!m || !m[2] || port < 1 || port > 65535)
    throw new SkiffError('USAGE', `syslog target "${url}" is not tcp://host:port or tls://host:port`);
  return { tls: m[1] === 'tls', host: m[2].replace(/^\[|\]$/g, ''), port };
}

/** One RFC 5424 message for a stored line. */
export function syslogMessage(line: StoredLogLine, from: LogSource, facility = 16): string {
  const host = printable(`${from.customer}.${from.instance.name}`, 255);
  const sd = `[${SD_ID} instance="${sdValue(line.instanceId)}" customer="${sdValue(from.customer)}" app="${sdValue(from.instance.app)}" source="${sdValue(line.source)}" seq="${line.seq}"]`;
  return `<${facility * 8 + SEVERITY[line.level]}>1 ${line.at} ${host} ${printable(line.service, 48)} - - ${sd} ${line.message}`;
}

/** The message with its octet count in front (framing that allows any byte, newlines included, inside a message). */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}

export class SyslogForwarder {
  readonly #target: { tls: boolean; host: string; port: number };
  readonly #opts: SyslogOptions;
  readonly #queue: Buffer[] = [];
  #socket: Socket | undefined;
  #connecting = false;
  #pending: Socket | undefined;
  #backoffMs = 250;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** The last problem told to the log (told once until the connection works again). */
  #problem: string | undefined;
  /** Lines dropped because the queue was full while the log system was unreachable. */
  dropped = 0;
  sent = 0;

  constructor(opts: SyslogOptions) {
    this.#target = parseSyslogUrl(opts.url);
    this.#opts = opts;
  }

  /** Lines waiting for the log system. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Connects now (rather than at the first line), so a wrong target or CA shows in the log when the hub starts. */
  start(): void {
    this.#connect();
  }

  readonly sink: LogSink = (lines, from) => {
    for (const line of lines) {
      if (this.#queue.length >= MAX_QUEUE) {
        this.#queue.shift();
        this.dropped += 1;
        if (this.dropped === 1 || this.dropped % MAX_QUEUE === 0) this.#opts.log?.(`syslog ${this.#opts.url}: ${this.dropped} lines dropped so far (the oldest; ${MAX_QUEUE} are kept while the log system is unreachable)`);
      }
      this.#queue.push(octetCounted(syslogMessage(line, from, this.#opts.facility)));
    }
    this.#pump();
  };

  /** Waits (bounded) until the queue is written out, then closes the connection. */
  async close(waitMs = 2000): Promise<void> {
    const until = Date.now() + waitMs;
    while (this.#queue.length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.#closed = true;
    clearTimeout(this.#retry);
    const s = this.#socket;
    if (s) await new Promise<void>((resolve) => s.end(() => resolve()));
    // A connection still being made (or refused, TLS retried) holds the process open: it goes too.
    this.#pending?.destroy();
  }

  #pump(): void {
    if (this.#closed) return;
    const s = this.#socket;
    if (!s) return this.#connect();
    while (this.#queue.length > 0) {
      const frame = this.#queue.shift();
      if (!frame) break;
      this.sent += 1;
      if (!s.write(frame)) {
        s.once('drain', () => this.#pump());
        return;
      }
    }
  }

  #connect(): void {
    if (this.#connecting || this.#closed) return;
    this.#connecting = true;
    const { tls, host, port } = this.#target;
    const { ca, cert, key } = this.#opts;
    const s = tls
      ? tlsConnect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) })
      : tcpConnect({ host, port });
    this.#pending = s;
    s.setNoDelay(true);
    s.once(tls ? 'secureConnect' : 'connect', () => {
      this.#connecting = false;
      this.#pending = undefined;
      this.#socket = s;
      this.#backoffMs = 250;
      if (this.#problem !== undefined) this.#opts.log?.(`syslog ${this.#opts.url}: connected again; sending the ${this.#queue.length} lines kept`);
      this.#problem = undefined;
      this.#pump();
    });
    s.on('error', (e: NodeJS.ErrnoException) => this.#tell(e));
    s.once('close', () => {
      this.#connecting = false;
      if (this.#pending === s) this.#pending = undefined;
      if (this.#socket === s) this.#socket = undefined;
      if (this.#closed || this.#queue.length === 0) return;
      this.#retry = setTimeout(() => this.#pump(), this.#backoffMs);
      this.#retry.unref();
      this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    });
  }

  /** One line per new problem (not per retry): what failed, what to check, and that the lines are kept. */
  #tell(e: NodeJS.ErrnoException): void {
    const why = certificateProblem(e) ?? `${e.code ?? 'error'}: ${e.message}`;
    if (why === this.#problem || this.#closed) return;
    this.#problem = why;
    this.#opts.log?.(`syslog ${this.#opts.url}: ${why}; lines are kept (up to ${MAX_QUEUE}) and sent when it works again`);
  }
}

/** A TLS verification failure as what the operator should do about it. */
function certificateProblem(e: NodeJS.ErrnoException): string | undefined {
  const code = e.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the log system's certificate is for another name (${e.message}): use the name on its certificate in --syslog`;
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) return `the log system's certificate is not trusted (${code}): give the CA that issued it with --syslog-ca`;
  return undefined;
}

function printable(s: string, max: number): string {
  const out = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return out === '' ? '-' : out;
}

function sdValue(s: string): string {
  return s.replace(/[\\"\]]/g, (c) => `\\${c}`);
}
