// Runs the real `skiff hub init` and `skiff hub serve` as child processes (port 0 or a given one, the bound URL read from its output), for replica and crash tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SKIFF = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));
const run = promisify(execFile);

export interface HubDataOptions {
  readonly data: string;
  /** postgres:// URL; SQLite in the data dir when absent. */
  readonly database?: string;
}

export interface HubProcessOptions extends HubDataOptions {
  readonly blobRegistry?: string;
  /** Appends everything the hub prints (its request log included) to this file. */
  readonly logFile?: string;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Listen on this port of 127.0.0.1 (a hub restarted on the same URL); one the OS picks when absent. */
  readonly port?: number;
  /** Extra environment variables (e.g. SKIFF_ROLLOUT_TICK_MS). */
  readonly env?: Readonly<Record<string, string>>;
  /** More `hub serve` flags (e.g. --notify-retry 200). */
  readonly args?: readonly string[];
}

export interface HubProcess {
  readonly url: string;
  readonly pid: number;
  /** The last lines it printed (for failure messages). */
  output(): string;
  /** SIGKILL: the replica dies mid-work (crash tests); resolves when it has exited. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

const dataArgs = (o: HubDataOptions): string[] => ['--data', o.data, ...(o.database ? ['--database', o.database] : [])];

/** `skiff hub init`; returns the admin API token and password it printed once. */
export async function hubInit(opts: HubDataOptions): Promise<{ token: string; password: string }> {
  const { stdout } = await run(process.execPath, [SKIFF, 'hub', 'init', ...dataArgs(opts)], { timeout: 60_000 });
  const token = /admin API token: (\S+)/.exec(stdout)?.[1];
  const password = /admin password: +(\S+)/.exec(stdout)?.[1];
  if (!token || !password) throw new Error(`hub init printed no token: ${stdout}`);
  return { token, password };
}

/** Starts `skiff hub serve --listen 127.0.0.1:<port, or 0>` and waits for its "listening on" line. */
export async function startHubProcess(opts: HubProcessOptions): Promise<HubProcess> {
  const args = [SKIFF, 'hub', 'serve', ...dataArgs(opts), '--listen', `127.0.0.1:${opts.port ?? 0}`, ...(opts.blobRegistry ? ['--blob-registry', opts.blobRegistry] : []), ...(opts.tls ? ['--tls-cert', opts.tls.cert, '--tls-key', opts.tls.key] : []), ...(opts.args ?? [])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) });
  let output = '';
  const log = opts.logFile === undefined ? undefined : createWriteStream(opts.logFile, { flags: 'a' });
  const keep = (c: Buffer): void => {
    output = (output + c.toString()).slice(-8000);
    log?.write(c);
  };
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('close', () => (log ? log.end(resolve) : resolve())));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub serve did not start within 60 s: ${output}`)), 60_000);
    child.stdout?.on('data', (c: Buffer) => {
      keep(c);
      const m = /skiff hub listening on (\S+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub serve exited with ${code}: ${output}`));
    });
  });
  return {
    url,
    pid: child.pid ?? -1,
    output: () => output,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
