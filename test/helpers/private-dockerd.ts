// A private Docker Engine for tests that stop or restart it: its own socket, data root, exec root and pid file (flags
// as scripts/start-dockerd.sh uses), so the engine every other test shares is never touched. Paths stay short: a unix
// socket path is limited to 107 bytes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerEngine } from '../../src/engine/index.ts';

export interface PrivateDockerd {
  readonly dir: string;
  readonly socket: string;
  /** unix://<socket>, for DOCKER_HOST and docker -H. */
  readonly host: string;
  connect(): Promise<DockerEngine>;
  /** Stops it (SIGTERM, as a host shutdown or `systemctl restart docker` does; SIGKILL with `kill`), then starts it again. */
  restart(how?: 'stop' | 'kill'): Promise<void>;
  /** Stops it and removes everything it made. */
  remove(): Promise<void>;
}

async function answers(socket: string): Promise<boolean> {
  const engine = await DockerEngine.connect({ socketPath: socket }).catch(() => undefined);
  if (!engine) return false;
  await engine.close();
  return true;
}

async function pidIn(file: string): Promise<number | undefined> {
  const n = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(n) && n > 1 ? n : undefined;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function killAndWait(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
}

async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmd = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(`${text}/`)) found.push(Number(name));
  }
  return found;
}

async function childrenOf(pid: number): Promise<number[]> {
  const kids = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return kids.split(/\s+/).filter(Boolean).map(Number);
}

export async function startPrivateDockerd(prefix: string): Promise<PrivateDockerd> {
  const dir = await mkdtemp(path.join('/tmp', `${prefix}-`));
  const socket = path.join(dir, 'd.sock');
  const log = createWriteStream(path.join(dir, 'dockerd.log'), { flags: 'a' });
  let child: ChildProcess | undefined;
  const args = ['--host', `unix://${socket}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'x'), '--pidfile', path.join(dir, 'd.pid'), '--bridge=none', '--iptables=false', '--ip-masq=false'];

  async function start(): Promise<void> {
    const c = spawn('dockerd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout?.pipe(log, { end: false });
    c.stderr?.pipe(log, { end: false });
    child = c;
    for (let i = 0; i < 240; i++) {
      if (c.exitCode !== null) break;
      if (await answers(socket)) return;
      await sleep(250);
    }
    const tail = (await readFile(path.join(dir, 'dockerd.log'), 'utf8').catch(() => '')).split('\n').slice(-5).join('\n');
    throw new Error(`the private dockerd on ${socket} did not answer within 60 s (exit ${c.exitCode}):\n${tail}`);
  }

  async function stop(signal: NodeJS.Signals): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    // A killed dockerd leaves the containerd it supervises running on its socket, and a new dockerd cannot start its
    // own then: an engine crash takes both down (the containers' shims live on, as they do on a real host).
    const containerd = signal === 'SIGKILL' ? await pidIn(path.join(dir, 'x', 'containerd', 'containerd.pid')) : undefined;
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    if (containerd !== undefined) await killAndWait(containerd);
  }

  /** Processes this daemon started that outlive it (containers' shims and what runs in them): by their pids, children first. */
  async function killLeftovers(): Promise<void> {
    for (const pid of await processesMentioning(dir)) {
      for (const childPid of await childrenOf(pid)) await killAndWait(childPid);
      await killAndWait(pid);
    }
  }

  /** What the daemon leaves mounted when it was killed (overlay layers, shm, its netns), deepest first. */
  async function unmountUnder(): Promise<void> {
    const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.sort((a, b) => b.length - a.length)) {
      await new Promise<void>((resolve) => spawn('umount', ['-l', m], { stdio: 'ignore' }).once('exit', () => resolve()));
    }
  }

  await start();
  return {
    dir,
    socket,
    host: `unix://${socket}`,
    connect: () => DockerEngine.connect({ socketPath: socket }),
    async restart(how = 'stop') {
      await stop(how === 'kill' ? 'SIGKILL' : 'SIGTERM');
      await start();
    },
    async remove() {
      if (child && child.exitCode === null) {
        const engine = await DockerEngine.connect({ socketPath: socket }).catch(() => undefined);
        if (engine) {
          for (const c of await engine.containerList({}).catch(() => [])) await engine.containerRemove(c.id, { force: true }).catch(() => undefined);
          await engine.close();
        }
      }
      await stop('SIGTERM');
      await killLeftovers();
      await unmountUnder();
      log.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
