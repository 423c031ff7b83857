// Test helpers for the agent: write bundles from a vendor's store, run the real CLI as a child process, read
// a page, run a command in a container, snapshot what tampering must leave untouched, clean up an app.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { writeBundle } from '../../src/bundle/index.ts';
import type { DockerEngine } from '../../src/engine/index.ts';
import { Label } from '../../src/oci/constants.ts';
import { getRelease, loadChain } from '../../src/release/index.ts';
import type { FsBlobStore } from '../../src/store/index.ts';
import { removeLabelled } from './engine.ts';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../src/cli/main.ts');

/** Options every agent call in tests passes: the test images ignore SIGTERM, so stop fast; fail health fast. */
export const FAST = { stopTimeoutSec: 1, healthTimeoutMs: 20_000 } as const;
export const FAST_FLAGS = ['--stop-timeout', '1', '--health-timeout', '20'] as const;

/** Writes `<app>@<version>` (a delta when `from` is given) from `store` to `out`, as `skiff bundle create` does. */
export async function makeBundle(store: FsBlobStore, app: string, version: string, out: string, from?: string): Promise<{ file: string; size: number }> {
  const release = await getRelease(store, app, version);
  const base = from === undefined ? undefined : await getRelease(store, app, from);
  const chain = await loadChain(store, app);
  const pass = new PassThrough();
  const written = pipeline(pass, createWriteStream(out, { flags: 'wx' }));
  await writeBundle({ blobs: store, release, chain, ...(base ? { base } : {}) }, pass);
  await written;
  return { file: out, size: (await stat(out)).size };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `skiff <args>` in a child process (through tsx), with extra environment variables. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The body of http://127.0.0.1:<port>/, trimmed. */
export async function page(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
  return (await res.text()).trim();
}

/** `docker exec <container> sh -c <script>`, returning stdout. */
export async function dockerExec(container: string, script: string): Promise<string> {
  return (await run('docker', ['exec', container, 'sh', '-c', script])).stdout;
}

export interface AppSnapshot {
  readonly stateJson?: string;
  readonly trustJson?: string;
  readonly containers: readonly string[];
  readonly volumes: readonly string[];
}

const readOptional = (file: string): Promise<string | undefined> => readFile(file, 'utf8').catch(() => undefined);

/** What a refused install must leave exactly as it was: state.json, trust.json, container ids (with their release), volumes. */
export async function snapshot(engine: DockerEngine, app: string, stateDir: string): Promise<AppSnapshot> {
  const containers = (await engine.containerList({ label: [`${Label.app}=${app}`] })).map((c) => `${c.id} ${c.labels[Label.release] ?? ''} ${c.state}`).sort();
  const volumes = (await engine.volumeList({ label: [`${Label.app}=${app}`] })).map((v) => v.name).sort();
  return {
    ...(await optionalField('stateJson', path.join(stateDir, 'state.json'))),
    ...(await optionalField('trustJson', path.join(stateDir, 'trust.json'))),
    containers,
    volumes,
  };
}

async function optionalField(key: 'stateJson' | 'trustJson', file: string): Promise<Partial<AppSnapshot>> {
  const text = await readOptional(file);
  return text === undefined ? {} : { [key]: text };
}

/** Removes an installed app's containers, networks, volumes and `skiff/<app>/*` images. */
export async function cleanupApp(engine: DockerEngine, app: string): Promise<void> {
  await removeLabelled(engine, Label.app, app).catch(() => undefined);
  for (const img of await engine.imageList({ reference: [`skiff/${app}/*`] }).catch(() => [])) await engine.imageRemove(img.id, { force: true }).catch(() => undefined);
}

/**
 * Removes a release's images from the engine (the vendor built them here), so the agent has to pull them
 * through its loopback registry as it would on a customer host.
 */
export async function forgetImages(engine: DockerEngine, configDigests: readonly string[]): Promise<void> {
  for (const d of configDigests) await engine.imageRemove(`sha256:${d.slice('sha256:'.length)}`, { force: true }).catch(() => undefined);
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}
