// A real Prometheus (Debian's `prometheus`) scraping a hub on 127.0.0.1 every second, with the repo's rules file, and
// its HTTP query API; fails (never skips) when the binary is absent.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from './ports.ts';

export const RULES_FILE = fileURLToPath(new URL('../../deploy/prometheus/skiff-rules.yml', import.meta.url));

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface Prometheus {
  readonly url: string;
  query(expr: string): Promise<PromSample[]>;
  /** Polls `expr` until `ok` holds for its result (or throws after `ms`, with the last result). */
  waitFor(expr: string, ok: (r: PromSample[]) => boolean, ms?: number): Promise<PromSample[]>;
  get<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheus(opts: { target: string; token: string }): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-prom-'));
  const port = await freePort();
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${JSON.stringify(RULES_FILE)}]`,
    'scrape_configs:',
    '  - job_name: skiff-hub',
    '    metrics_path: /metrics',
    `    authorization: { credentials: ${JSON.stringify(opts.token)} }`,
    `    static_configs: [ { targets: [${JSON.stringify(opts.target)}] } ]`,
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const child: ChildProcess = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => void (log = (log + c.toString()).slice(-4000)));
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`prometheus cannot be started (Debian package prometheus; scripts/system-deps.sh): ${e.message}`))));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const get = async <T>(path: string): Promise<T> => {
    const res = await request(`${url}${path}`);
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`prometheus ${path} answered ${res.statusCode}: ${text}`);
    return (JSON.parse(text) as { data: T }).data;
  };
  const query = async (expr: string) => (await get<{ result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await Promise.race([request(`${url}/-/ready`).then(async (r) => (await r.body.text(), r.statusCode === 200), () => false), spawnError]);
      if (ready) break;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`prometheus did not become ready: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    query,
    get,
    async waitFor(expr, ok, ms = 30_000) {
      const deadline = Date.now() + ms;
      let last: PromSample[] = [];
      while (Date.now() < deadline) {
        last = await query(expr);
        if (ok(last)) return last;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`prometheus: ${expr} never satisfied the test within ${ms} ms; last result ${JSON.stringify(last)}; log: ${log.slice(-1000)}`);
    },
    stop,
  };
}
