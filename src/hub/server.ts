// `skiff hub serve`: opens the metadata database and blob store of a data dir, builds the hub and listens (HTTP or HTTPS).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { sha256 } from '../oci/index.ts';
import { FsBlobStore, RegistryBlobStore, type BlobStore } from '../store/index.ts';
import { errorMessage, fsErrorMessage, SkiffError } from '../util/index.ts';
import { build, DEFAULT_PLUGINS, type BuildDeps } from './app.ts';
import { consoleRoutes, defaultConsoleDir } from './web-console.ts';
import { loadHubKey } from './auth/sealing.ts';
import { openMetadataDb } from './db/index.ts';
import { installLastResort } from './last-resort.ts';
import { RolloutLoop, type RolloutLoopOptions } from './rollout-loop.ts';
import { NotifyWorker, type NotifyOptions } from './notify/index.ts';
import { secureDataDir, STORE_DIR } from './init.ts';
import { SyslogForwarder } from './logs/syslog.ts';

export interface ServeOptions {
  readonly dataDir: string;
  /** host:port, e.g. 127.0.0.1:8443 ([::1]:8443 for IPv6); port 0 picks a free one. */
  readonly listen: string;
  readonly database?: string;
  readonly blobRegistry?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly logger?: boolean;
  readonly plugins?: BuildDeps['plugins'];
  /** Install the process-wide last-resort error handlers (the `hub serve` process; not a hub inside another program). */
  readonly lastResort?: boolean;
  /** How often the filesystem store's temp files are swept, and the age at which anyone's is left over (default 10 min, 1 h). */
  readonly tempSweep?: { readonly everyMs: number; readonly olderThanMs: number };
  /** Close a connection idle (no byte sent or received) for this long; default 2 minutes. */
  readonly idleTimeoutMs?: number;
  /** Forward every stored log line to this syslog target (tcp://host:port or tls://host:port), TLS checked against syslogCa (a PEM file). */
  readonly syslog?: string;
  readonly syslogCa?: string;
  /** PEM files of the hub's client certificate and key, for a log system that asks for one. */
  readonly syslogCert?: string;
  readonly syslogKey?: string;
  /** The built web console to serve at `/`; default dist/web when built; false: none. */
  readonly webDir?: string | false;
  /** The rollout scheduler's tick and lease (default: rolloutLoopFromEnv); false: this replica never schedules. */
  readonly rollouts?: Partial<RolloutLoopOptions> | false;
  /** The notification worker's settings (SMTP, retries, timeouts, when an instance counts as silent). */
  readonly notify?: Partial<NotifyOptions>;
}

/** SKIFF_ROLLOUT_TICK_MS and SKIFF_ROLLOUT_LEASE_MS, when set (tests and benches shorten them). */
export function rolloutLoopFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<RolloutLoopOptions> {
  const ms = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined) return undefined;
    if (!/^\d{1,9}$/.test(v) || Number(v) < 10) throw new SkiffError('USAGE', `${name}="${v}" is not a number of milliseconds (at least 10)`);
    return Number(v);
  };
  const tickMs = ms('SKIFF_ROLLOUT_TICK_MS');
  const leaseMs = ms('SKIFF_ROLLOUT_LEASE_MS');
  return { ...(tickMs === undefined ? {} : { tickMs }), ...(leaseMs === undefined ? {} : { leaseMs }) };
}

/** Bundles encrypted to customers' keys (EncryptedBundleCache). */
const BUNDLE_CACHE_DIR = 'bundle-cache';

const DEFAULT_TEMP_SWEEP = { everyMs: 10 * 60_000, olderThanMs: 60 * 60_000 };
/** A connection that moves no byte either way for this long is closed: a stalled client holds no upload or download. */
const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

export interface RunningHub {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new SkiffError('USAGE', `--listen "${listen}" is not host:port, e.g. 127.0.0.1:8443`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** The hub's content store: an OCI registry when `blobRegistry` is given (shared by replicas), else the filesystem under the data dir. */
export function openHubBlobStore(opts: { dataDir: string; blobRegistry?: string }): BlobStore {
  if (opts.blobRegistry === undefined) return new FsBlobStore(join(opts.dataDir, STORE_DIR));
  let url: URL | undefined;
  try {
    url = new URL(opts.blobRegistry);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' && url.pathname !== ''))
    throw new SkiffError('USAGE', `--blob-registry "${opts.blobRegistry}" is not a registry URL like http://127.0.0.1:5000 (scheme, host and port, no path)`);
  return new RegistryBlobStore({ url: url.toString() });
}

/** Fails at start, not at the first pull, when the blob registry does not answer. */
async function checkBlobStore(blobs: BlobStore, opts: ServeOptions): Promise<void> {
  if (opts.blobRegistry === undefined) return;
  await blobs.stat(sha256(new Uint8Array())).catch((e: unknown) => {
    throw new SkiffError('USAGE', `--blob-registry ${opts.blobRegistry} cannot be used: ${errorMessage(e)}`, { cause: e });
  });
}

async function readTls(opts: ServeOptions): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (opts.tlsCert === undefined && opts.tlsKey === undefined) return undefined;
  if (opts.tlsCert === undefined || opts.tlsKey === undefined) throw new SkiffError('USAGE', 'give both --tls-cert and --tls-key, or neither');
  const read = (file: string, flag: string) =>
    readFile(file).catch((e: unknown) => {
      throw new SkiffError('USAGE', fsErrorMessage(e, flag, { path: file }) ?? `${flag} ${file} cannot be read: ${errorMessage(e)}`, { cause: e });
    });
  return { cert: await read(opts.tlsCert, '--tls-cert'), key: await read(opts.tlsKey, '--tls-key') };
}

/** Removes the uploads a killed hub left in the filesystem store now (before listening), then periodically by age. */
async function sweepTempFiles(blobs: BlobStore, every: { everyMs: number; olderThanMs: number }, log: FastifyBaseLogger): Promise<() => void> {
  if (!(blobs instanceof FsBlobStore)) return () => undefined;
  const sweep = async () => {
    const removed = await blobs.sweepTemp(every.olderThanMs).catch((e: unknown) => {
      log.warn({ err: e }, 'sweeping the blob store\'s temp files failed');
      return [];
    });
    if (removed.length > 0) log.info({ removed }, `removed ${removed.length} left-over temp files from the blob store`);
  };
  await sweep();
  const timer = setInterval(() => void sweep(), every.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The syslog forwarder of --syslog, its CA (and client certificate) read from files; USAGE naming the flag when one is wrong. */
async function openSyslog(opts: ServeOptions, log: (message: string) => void): Promise<SyslogForwarder | undefined> {
  const files = { '--syslog-ca': opts.syslogCa, '--syslog-cert': opts.syslogCert, '--syslog-key': opts.syslogKey };
  const given = Object.entries(files).filter(([, file]) => file !== undefined).map(([flag]) => flag);
  if (opts.syslog === undefined || !opts.syslog.startsWith('tls://')) {
    if (given.length > 0) throw new SkiffError('USAGE', `${given.join(' and ')} ${given.length > 1 ? 'need' : 'needs'} --syslog tls://host:port`);
    return opts.syslog === undefined ? undefined : new SyslogForwarder({ url: opts.syslog, log });
  }
  if ((opts.syslogCert === undefined) !== (opts.syslogKey === undefined)) throw new SkiffError('USAGE', 'give both --syslog-cert and --syslog-key, or neither');
  const read = async (flag: keyof typeof files): Promise<Buffer | undefined> => {
    const file = files[flag];
    if (file === undefined) return undefined;
    return readFile(file).catch((e: unknown) => {
      throw new SkiffError('USAGE', fsErrorMessage(e, flag, { path: file }) ?? `${flag} ${file} cannot be read: ${errorMessage(e)}`, { cause: e });
    });
  };
  const [ca, cert, key] = [await read('--syslog-ca'), await read('--syslog-cert'), await read('--syslog-key')];
  return new SyslogForwarder({ url: opts.syslog, log, ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) });
}

export async function startHubServer(opts: ServeOptions): Promise<RunningHub> {
  const { host, port } = parseListen(opts.listen);
  const https = await readTls(opts);
  const scheduling = opts.rollouts === false ? undefined : (opts.rollouts ?? rolloutLoopFromEnv());
  await secureDataDir(opts.dataDir, { create: false });
  const blobs = openHubBlobStore(opts);
  await checkBlobStore(blobs, opts);
  const db = await openMetadataDb(opts);
  let forwarder: SyslogForwarder | undefined;
  try {
    if ((await db.countUsers()) === 0) throw new SkiffError('USAGE', `the hub in ${opts.dataDir} has no users; run \`skiff hub init --data ${opts.dataDir}\` first`);
    const sealer = await loadHubKey(opts.dataDir);
    // The forwarder speaks into the hub's log once the hub has one.
    const logTo = { warn: (m: string): unknown => process.stderr.write(`${m}\n`) };
    forwarder = await openSyslog(opts, (m) => logTo.warn(m));
    const web = opts.webDir === undefined ? defaultConsoleDir() : opts.webDir || undefined;
    const plugins = [...(opts.plugins ?? DEFAULT_PLUGINS), ...(web ? [consoleRoutes(web)] : [])];
    const app = await build({ db, blobs, sealer, plugins, bundleCacheDir: join(opts.dataDir, BUNDLE_CACHE_DIR), ...(forwarder ? { logs: { sink: forwarder.sink } } : {}), fastify: { logger: opts.logger ?? false, connectionTimeout: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, ...(https ? { https } : {}) } });
    logTo.warn = (m) => app.log.warn(m);
    forwarder?.start();
    const stopSweeping = await sweepTempFiles(blobs, opts.tempSweep ?? DEFAULT_TEMP_SWEEP, app.log);
    const removeLastResort = opts.lastResort ? installLastResort(app.log) : () => undefined;
    // Nothing that holds the process open may outlive a failed listen (a port in use): the hub is closed with all it opened.
    await app.listen({ host, port }).catch(async (e: unknown) => {
      stopSweeping();
      removeLastResort();
      await app.close();
      throw new SkiffError('USAGE', `cannot listen on ${opts.listen}: ${(e as Error).message}; choose another --listen address`, { cause: e });
    });
    const notifier = new NotifyWorker(db, sealer, opts.notify, (msg) => app.log.warn(msg));
    const rollouts = scheduling && new RolloutLoop(db, { ...scheduling, log: (m) => app.log.info(m) });
    rollouts?.start();
    const address = app.server.address();
    notifier.start();
    const bound = typeof address === 'object' && address ? address.port : port;
    const shown = host.includes(':') ? `[${host}]` : host;
    return {
      url: `${https ? 'https' : 'http'}://${shown}:${bound}`,
      app,
      async close() {
        stopSweeping();
        await rollouts?.stop();
        await app.close();
        await notifier.stop();
        await forwarder?.close();
        removeLastResort();
        await db.close();
      },
    };
  } catch (e) {
    await forwarder?.close(0).catch(() => undefined);
    await db.close().catch(() => undefined);
    throw e;
  }
}
