// HTTP to the Docker Engine over its unix socket (or tcp): version negotiation, requests, error mapping.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Agent } from 'undici';
import { SkiffError, loadUndici } from '../util/index.ts';

/** The newest Engine API version we speak, and the oldest we accept (Docker 20.10). */
export const MAX_API_VERSION = '1.47';
export const MIN_API_VERSION = '1.41';

export const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';

/** The engine's answer to a failed call: its HTTP status and message, kept as the SkiffError's cause. */
export class EngineApiError extends Error {
  override readonly name = 'EngineApiError';
  readonly statusCode: number;

  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'HEAD';
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** statuses that are not errors (2xx always are not) */
  accept?: number[];
}

export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { json(): Promise<unknown>; text(): Promise<string>; dump(): Promise<void> };
}

interface Endpoint {
  origin: string;
  display: string;
  socketPath?: string;
}

/** Where the engine listens: an explicit socket path, else DOCKER_HOST, else the default socket. */
export function resolveEndpoint(socketPath?: string): Endpoint {
  if (socketPath !== undefined) return { origin: 'http://docker', display: `unix://${socketPath}`, socketPath };
  const host = process.env['DOCKER_HOST'];
  if (host === undefined || host === '') {
    return { origin: 'http://docker', display: `unix://${DEFAULT_SOCKET_PATH}`, socketPath: DEFAULT_SOCKET_PATH };
  }
  if (host.startsWith('unix://')) return { origin: 'http://docker', display: host, socketPath: host.slice('unix://'.length) };
  if (host.startsWith('tcp://')) return { origin: `http://${host.slice('tcp://'.length)}`, display: host };
  throw new SkiffError('ENGINE_UNAVAILABLE', `DOCKER_HOST "${host}" is not supported: use unix:///path/to/docker.sock or tcp://host:port`);
}

const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES', 'ENOTSOCK', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

function errorCode(e: unknown): string | undefined {
  for (let cur = e; typeof cur === 'object' && cur !== null; cur = (cur as { cause?: unknown }).cause) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
  }
  return undefined;
}

/** Compares dotted API versions numerically ('1.9' < '1.41'). */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The version both sides speak: the server's, capped at ours; below our minimum is an error. */
export function negotiateApiVersion(serverApiVersion: string): string {
  if (!/^\d+\.\d+$/.test(serverApiVersion)) {
    throw new SkiffError('ENGINE_ERROR', `Docker Engine reports API version "${serverApiVersion}", which is not a version number`);
  }
  if (compareApiVersions(serverApiVersion, MIN_API_VERSION) < 0) {
    throw new SkiffError('ENGINE_ERROR', `Docker Engine API ${serverApiVersion} is too old: Skiff needs ${MIN_API_VERSION} (Docker 20.10) or newer; upgrade Docker`);
  }
  return compareApiVersions(serverApiVersion, MAX_API_VERSION) > 0 ? MAX_API_VERSION : serverApiVersion;
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

/** Escapes a path segment but keeps the characters of image references ('/', ':', '@') readable to the engine's router. */
export function pathSegment(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/').replace(/%3A/g, ':').replace(/%40/g, '@');
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * One connection pool to one engine; `version` prefixes every path once negotiated. undici loads at the first call,
 * not when the client is made: a command that fails at its input never pays for it.
 */
export class EngineTransport {
  readonly #endpoint: Endpoint;
  #pool: Promise<{ agent: Agent; request: typeof import('undici').request }> | undefined;
  #version = '';

  constructor(socketPath?: string) {
    this.#endpoint = resolveEndpoint(socketPath);
  }

  #undici(): Promise<{ agent: Agent; request: typeof import('undici').request }> {
    const socket = this.#endpoint.socketPath;
    return (this.#pool ??= loadUndici().then(({ Agent, request }) => ({
      // Pulls, builds and log streams can stay silent for long: callers bound them with AbortSignals.
      agent: new Agent({ headersTimeout: 0, bodyTimeout: 0, ...(socket === undefined ? {} : { connect: { socketPath: socket } }) }),
      request,
    })));
  }

  get display(): string {
    return this.#endpoint.display;
  }

  setVersion(v: string): void {
    this.#version = v;
  }

  unavailable(cause?: unknown): SkiffError {
    return new SkiffError(
      'ENGINE_UNAVAILABLE',
      `Docker Engine does not answer on ${this.#endpoint.display}: start it (dockerd) or set DOCKER_HOST`,
      { cause },
    );
  }

  /** Sends one request; statuses outside 2xx and `accept` become ENGINE_ERROR with the engine's message. */
  async call(path: string, opts: CallOptions = {}): Promise<RawResponse> {
    const prefix = this.#version === '' ? '' : `/v${this.#version}`;
    const url = `${this.#endpoint.origin}${prefix}${path}${queryString(opts.query)}`;
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | Readable | Buffer | undefined;
    if (opts.body !== undefined) {
      if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body) || isReadable(opts.body)) {
        body = opts.body;
      } else {
        body = JSON.stringify(opts.body);
        headers['content-type'] = 'application/json';
      }
    }
    const { agent, request } = await this.#undici();
    let res: RawResponse;
    try {
      res = await request(url, { dispatcher: agent, method: opts.method ?? 'GET', headers, body: body ?? null, signal: opts.signal });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (errorCode(e) !== undefined) throw this.unavailable(e);
      throw new SkiffError('ENGINE_ERROR', `Docker Engine request ${opts.method ?? 'GET'} ${path} failed: ${oneLine(String(e instanceof Error ? e.message : e))}`, { cause: e });
    }
    if ((res.statusCode >= 200 && res.statusCode < 300) || opts.accept?.includes(res.statusCode)) return res;
    throw await this.#apiError(res);
  }

  async #apiError(res: RawResponse): Promise<SkiffError> {
    const text = await res.body.text().catch(() => '');
    let message = text;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') {
        message = (parsed as { message: string }).message;
      }
    } catch {
      // a plain-text answer is its own message
    }
    const line = oneLine(message) || `HTTP ${res.statusCode}`;
    return new SkiffError('ENGINE_ERROR', `Docker Engine: ${line}`, { cause: new EngineApiError(res.statusCode, line) });
  }

  /** A call whose JSON answer is returned; `undefined` for a 404 when `notFoundOk`. */
  async json(path: string, opts: CallOptions & { notFoundOk?: boolean } = {}): Promise<unknown> {
    const accept = opts.notFoundOk === true ? [...(opts.accept ?? []), 404] : opts.accept;
    const res = await this.call(path, { ...opts, accept });
    if (res.statusCode === 404 && opts.notFoundOk === true) {
      await res.body.dump();
      return undefined;
    }
    const text = await res.body.text();
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new SkiffError('ENGINE_ERROR', `Docker Engine answered ${path} with invalid JSON`, { cause: e });
    }
  }

  /**
   * A request whose large body (a volume's tar, either way) is streamed through node:http's native parser, not undici:
   * through undici it costs several times the CPU, and these copies happen while the app's writers are stopped.
   */
  async bulk(method: 'GET' | 'PUT' | 'POST', path: string, query: Query, opts: { body?: Readable; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<IncomingMessage> {
    const prefix = this.#version === '' ? '' : `/v${this.#version}`;
    const { origin, socketPath } = this.#endpoint;
    const url = new URL(`${origin}${prefix}${path}${queryString(query)}`);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const fail = (e: Error): void => reject(errorCode(e) !== undefined ? this.unavailable(e) : new SkiffError('ENGINE_ERROR', `Docker Engine request ${method} ${path} failed: ${oneLine(e.message)}`, { cause: e }));
      const target = socketPath === undefined ? { host: url.hostname, port: url.port } : { socketPath };
      const req = httpRequest({ ...target, method, path: `${url.pathname}${url.search}`, headers: opts.headers, signal: opts.signal, agent: false }, resolve);
      req.on('error', fail);
      if (opts.body) pipeline(opts.body, req).catch(fail);
      else req.end();
    });
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return res;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(Buffer.from(c as Buffer));
    const text = Buffer.concat(chunks).toString('utf8');
    let message = text;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') message = (parsed as { message: string }).message;
    } catch {
      // a plain-text answer is its own message
    }
    const line = oneLine(message) || `HTTP ${res.statusCode}`;
    throw new SkiffError('ENGINE_ERROR', `Docker Engine: ${line}`, { cause: new EngineApiError(res.statusCode ?? 0, line) });
  }

  /** A call whose answer is discarded. */
  async empty(path: string, opts: CallOptions = {}): Promise<number> {
    const res = await this.call(path, opts);
    await res.body.dump();
    return res.statusCode;
  }

  async close(): Promise<void> {
    if (this.#pool) await (await this.#pool).agent.close();
  }
}

function isReadable(x: unknown): x is Readable {
  return typeof x === 'object' && x !== null && typeof (x as { pipe?: unknown }).pipe === 'function';
}
