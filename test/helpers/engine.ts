// Test helpers for the Docker Engine: reach (or start) the engine, build tiny busybox images, unique names, cleanup.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import tar from 'tar-stream';
import { DockerEngine } from '../../src/engine/index.ts';
import { SkiffError, isSkiffError } from '../../src/util/errors.ts';

const DOCKERD_ARGS = ['--bridge=none', '--iptables=false', '--ip-masq=false'];
const BUSYBOX = '/usr/bin/busybox';
const APPLETS = [
  'sh', 'ash', 'httpd', 'wget', 'sleep', 'cat', 'echo', 'nc', 'test', '[', '[[', 'ls', 'mkdir', 'rm', 'cp', 'mv', 'touch',
  'true', 'false', 'env', 'grep', 'sed', 'head', 'tail', 'date', 'id', 'ps', 'kill', 'printf', 'wc', 'sort', 'tee',
  'chmod', 'stat', 'sync', 'uname', 'seq', 'sha256sum', 'dd', 'find', 'xargs', 'hostname', 'nslookup', 'timeout', 'du', 'df',
];
const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

/** A unique, engine-safe name for a test object: `<prefix>-<8 hex>`. */
export function uniqueName(prefix = 'skiff-test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

async function tryConnect(): Promise<DockerEngine | undefined> {
  try {
    return await DockerEngine.connect();
  } catch (e) {
    if (isSkiffError(e, 'ENGINE_UNAVAILABLE')) return undefined;
    throw e;
  }
}

/**
 * Connects to the engine; when none answers and we are root (and DOCKER_HOST is not set),
 * starts dockerd detached and waits up to 30 s. Throws otherwise: tests fail, never skip.
 */
export async function ensureEngine(): Promise<DockerEngine> {
  const first = await tryConnect();
  if (first) return first;
  if (process.getuid?.() !== 0 || (process.env['DOCKER_HOST'] ?? '') !== '') {
    return DockerEngine.connect();
  }
  const log = path.join(os.tmpdir(), 'skiff-dockerd.log');
  const logFd = openSync(log, 'a');
  let spawnError: Error | undefined;
  try {
    const child = spawn('dockerd', DOCKERD_ARGS, { detached: true, stdio: ['ignore', logFd, logFd] });
    child.on('error', (e) => (spawnError = e));
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (spawnError) throw new SkiffError('ENGINE_UNAVAILABLE', `cannot start dockerd (${spawnError.message}): install docker.io or start the engine`);
    await sleep(500);
    const engine = await tryConnect();
    if (engine) return engine;
  }
  throw new SkiffError('ENGINE_UNAVAILABLE', `Docker Engine did not answer within 30 s of starting dockerd: see ${log}`);
}

/** Dockerfile HEALTHCHECK in shell form, with durations in milliseconds. */
export interface ImageHealthcheck {
  shell: string;
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

export interface BusyboxImageOptions {
  /** extra files in the image, path → content (parent directories are created; files are mode 0755) */
  files?: Record<string, string | Buffer>;
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  labels?: Record<string, string>;
  /** e.g. `80/tcp` */
  expose?: string[];
  workdir?: string;
  user?: string;
  healthcheck?: ImageHealthcheck;
}

export type TarEntry = { type: 'directory' | 'file' | 'symlink'; mode: number; content?: Buffer; linkname?: string };

/** The rootfs entries: busybox, its applet links, /tmp, /data, /etc/passwd, and the extra files. */
function rootfsEntries(files: Record<string, string | Buffer>): Map<string, TarEntry> {
  const entries = new Map<string, TarEntry>();
  const dir = (p: string, mode = 0o755): void => {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!entries.has(d)) entries.set(d, { type: 'directory', mode: i === parts.length ? mode : 0o755 });
    }
  };
  const file = (p: string, content: string | Buffer, mode = 0o755): void => {
    const clean = path.posix.normalize(p).replace(/^\/+/, '');
    dir(path.posix.dirname(clean));
    entries.set(clean, { type: 'file', mode, content: Buffer.from(content) });
  };
  dir('bin');
  dir('tmp', 0o1777);
  dir('data');
  file('bin/busybox', readFileSync(BUSYBOX));
  for (const applet of APPLETS) entries.set(`bin/${applet}`, { type: 'symlink', mode: 0o777, linkname: 'busybox' });
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n', 0o644);
  file('etc/group', 'root:x:0:\nnogroup:x:65534:\n', 0o644);
  for (const [p, content] of Object.entries(files)) file(p, content);
  return entries;
}

/** A deterministic tar: sorted entries, fixed mtimes, uid/gid 0, so equal inputs give equal layer digests. */
export async function makeTar(entries: Map<string, TarEntry>): Promise<Buffer> {
  const pack = tar.pack();
  const done = buffer(pack);
  for (const name of [...entries.keys()].sort()) {
    const e = entries.get(name);
    if (e === undefined) continue;
    const header = { name, mode: e.mode, mtime: FIXED_MTIME, uid: 0, gid: 0, uname: '', gname: '' };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.type === 'file') pack.entry({ ...header, type: 'file' }, e.content ?? Buffer.alloc(0), cb);
      else if (e.type === 'symlink') pack.entry({ ...header, type: 'symlink', linkname: e.linkname ?? '' }, cb);
      else pack.entry({ ...header, type: 'directory' }, cb);
    });
  }
  pack.finalize();
  return done;
}

const ms = (n: number): string => `${n}ms`;

function changesFor(opts: BusyboxImageOptions): string[] {
  const changes: string[] = [];
  if (opts.entrypoint) changes.push(`ENTRYPOINT ${JSON.stringify(opts.entrypoint)}`);
  changes.push(`CMD ${JSON.stringify(opts.cmd ?? ['sh'])}`);
  for (const env of opts.env ?? []) {
    const eq = env.indexOf('=');
    changes.push(eq < 0 ? `ENV ${env}=""` : `ENV ${env.slice(0, eq)}=${JSON.stringify(env.slice(eq + 1))}`);
  }
  for (const [k, v] of Object.entries(opts.labels ?? {})) changes.push(`LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`);
  for (const port of opts.expose ?? []) changes.push(`EXPOSE ${port}`);
  if (opts.workdir) changes.push(`WORKDIR ${opts.workdir}`);
  if (opts.user) changes.push(`USER ${opts.user}`);
  const h = opts.healthcheck;
  if (h) {
    const flags = [
      h.intervalMs === undefined ? '' : `--interval=${ms(h.intervalMs)}`,
      h.timeoutMs === undefined ? '' : `--timeout=${ms(h.timeoutMs)}`,
      h.retries === undefined ? '' : `--retries=${h.retries}`,
      h.startPeriodMs === undefined ? '' : `--start-period=${ms(h.startPeriodMs)}`,
    ].filter(Boolean);
    changes.push(`HEALTHCHECK ${flags.join(' ')} CMD ${h.shell}`);
  }
  return changes;
}

/**
 * Imports a one-layer busybox image as `tag` (the API form of `docker import --change`).
 * The same files always give the same layer diffID, so tests can rely on shared layers.
 */
export async function buildBusyboxImage(engine: DockerEngine, tag: string, opts: BusyboxImageOptions = {}): Promise<{ id: string }> {
  const rootfs = await makeTar(rootfsEntries(opts.files ?? {}));
  const id = await engine.imageImport(rootfs, tag, changesFor(opts));
  return { id };
}

/**
 * Builds `tag` on top of the existing image `baseTag` with one extra layer holding `files`
 * (classic builder, `FROM base` + `COPY`), so tests get multi-layer images sharing a base layer.
 */
export async function buildLayeredImage(
  engine: DockerEngine,
  tag: string,
  baseTag: string,
  files: Record<string, string | Buffer>,
  opts: { cmd?: string[]; labels?: Record<string, string> } = {},
): Promise<{ id: string }> {
  const lines = [`FROM ${baseTag}`, 'COPY layer/ /'];
  for (const [k, v] of Object.entries(opts.labels ?? {})) lines.push(`LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`);
  if (opts.cmd) lines.push(`CMD ${JSON.stringify(opts.cmd)}`);
  const entries = new Map<string, TarEntry>([
    ['Dockerfile', { type: 'file', mode: 0o644, content: Buffer.from(`${lines.join('\n')}\n`) }],
    ['layer', { type: 'directory', mode: 0o755 }],
  ]);
  for (const [p, content] of Object.entries(files)) {
    const clean = path.posix.normalize(p).replace(/^\/+/, '');
    const parts = clean.split('/');
    for (let i = 1; i < parts.length; i++) entries.set(`layer/${parts.slice(0, i).join('/')}`, { type: 'directory', mode: 0o755 });
    entries.set(`layer/${clean}`, { type: 'file', mode: 0o755, content: Buffer.from(content) });
  }
  const id = await engine.imageBuild(await makeTar(entries), tag);
  return { id };
}

/** Removes every container, network and volume carrying label `key=value` (containers first), ignoring what is gone. */
export async function removeLabelled(engine: DockerEngine, key: string, value: string): Promise<void> {
  const filters = { label: [`${key}=${value}`] };
  for (const c of await engine.containerList(filters)) await engine.containerRemove(c.id, { force: true, volumes: true });
  for (const n of await engine.networkList(filters)) await engine.networkRemove(n.id);
  for (const v of await engine.volumeList(filters)) await engine.volumeRemove(v.name);
}
