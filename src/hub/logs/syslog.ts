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
  /** Syslog facility number; default 16 (local0). */
  readonly facility?: number;
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
  #backoffMs = 250;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** Lines dropped because the queue was full while the log system was unreachable. */
  dropped = 0;
  sent = 0;

  constructor(opts: SyslogOptions) {
    this.#target = parseSyslogUrl(opts.url);
    this.#opts = opts;
  }

  readonly sink: LogSink = (lines, from) => {
    for (const line of lines) {
      if (this.#queue.length >= MAX_QUEUE) {
        this.#queue.shift();
        this.dropped += 1;
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
    const s = tls
      ? tlsConnect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, ...(this.#opts.ca ? { ca: this.#opts.ca } : {}) })
      : tcpConnect({ host, port });
    s.setNoDelay(true);
    s.once(tls ? 'secureConnect' : 'connect', () => {
      this.#connecting = false;
      this.#socket = s;
      this.#backoffMs = 250;
      this.#pump();
    });
    s.on('error', () => undefined);
    s.once('close', () => {
      this.#connecting = false;
      if (this.#socket === s) this.#socket = undefined;
      if (this.#closed || this.#queue.length === 0) return;
      this.#retry = setTimeout(() => this.#pump(), this.#backoffMs);
      this.#retry.unref();
      this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    });
  }
}

function printable(s: string, max: number): string {
  const out = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return out === '' ? '-' : out;
}

function sdValue(s: string): string {
  return s.replace(/[\\"\]]/g, (c) => `\\${c}`);
}
