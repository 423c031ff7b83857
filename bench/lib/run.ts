// Shared by the bench scripts: run and time commands, medians, the work directory and the results file.
import { spawn } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

export const REPO = resolve(import.meta.dirname, '../..');
export const SKIFF = join(REPO, 'bin/skiff.js');
/** Rounds per figure (medians of at least three), overridable for a quick trial run. */
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

/** Every container stop waits this long (Skiff and peers alike): the image's node runs as PID 1 and ignores SIGTERM. */
export const STOP_TIMEOUT = '1';

export function workDir(): string {
  const dir = process.env.BENCH_WORK;
  if (!dir) throw new Error('BENCH_WORK is not set: run the bench through bench/run.sh');
  return dir;
}

export interface RunResult {
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program (no shell), fails on a non-zero exit with its stderr; returns the wall time. */
export function run(cmd: string, args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      if (code === 0) resolvePromise({ ms, stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** Runs a bash script with pipefail (for the peers' pipelines). */
export const sh = (script: string, env?: Record<string, string>): Promise<RunResult> => run('bash', ['-c', `set -euo pipefail; ${script}`], { env });

/** The skiff CLI, as an operator runs it. */
export const skiff = (...args: string[]): Promise<RunResult> => run(SKIFF, args);

/** Runs a command and ignores its failure (cleanup of things that may not exist). */
export const quiet = (cmd: string, args: readonly string[]): Promise<void> => run(cmd, args).then(() => undefined, () => undefined);

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ResultRow {
  readonly figure: string;
  readonly skiff: string;
  readonly peer: string;
  readonly ratio: string;
  readonly target: string;
  readonly met: 'yes' | 'no' | '—';
  /** Every sample, for the notes. */
  readonly samples?: string;
}

/** Appends one table row to the run's results (bench/write-results.ts turns them into RESULTS.md). */
export async function record(row: ResultRow): Promise<void> {
  await appendFile(join(workDir(), 'results.jsonl'), `${JSON.stringify(row)}\n`);
  process.stdout.write(`  ${row.figure}: skiff ${row.skiff} | peer ${row.peer} | ratio ${row.ratio} | target ${row.target} | met ${row.met}\n`);
}

/** A note for RESULTS.md (profiles, explanations of a missed target). */
export async function note(text: string): Promise<void> {
  await appendFile(join(workDir(), 'notes.md'), `${text}\n`);
  process.stdout.write(`  note: ${text}\n`);
}

export async function readSetup(): Promise<BenchSetup> {
  return JSON.parse(await readFile(join(workDir(), 'setup.json'), 'utf8')) as BenchSetup;
}

/** What bench/setup.ts prepared: trust dir, compose files, a store with every release, bundles, peer archives. */
export interface BenchSetup {
  readonly app: string;
  readonly port: number;
  readonly network: string;
  readonly versions: readonly string[];
  readonly trustDir: string;
  readonly root: string;
  readonly store: string;
  readonly compose: Readonly<Record<string, string>>;
  /** `full-<v>` and `delta-<from>-<to>` → file. */
  readonly bundles: Readonly<Record<string, string>>;
  /** version → `docker save | gzip` file. */
  readonly saved: Readonly<Record<string, string>>;
}

export const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const fmtMs = (ms: number): string => `${Math.round(ms)} ms`;
export const mib = (bytes: number): string => (bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
export const image = (v: string): string => `skiff-bench/netapp:${v}`;
