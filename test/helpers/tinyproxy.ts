// Debian's tinyproxy in the foreground on a free loopback port, as a customer's HTTP proxy for the hub client's tests;
// its log (a line per request, CONNECT host:port for HTTPS) tells which requests went through it.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.ts';

export interface Tinyproxy {
  readonly url: string;
  /** How many CONNECT requests to `hostPort` (e.g. 127.0.0.1:8443) it has logged. */
  connects(hostPort: string): number;
  log(): string;
  stop(): Promise<void>;
}

const answers = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** Starts `tinyproxy -d` with a config in `dir`; fails (never skips) when tinyproxy is not installed. */
export async function startTinyproxy(dir: string): Promise<Tinyproxy> {
  const port = await freePort();
  const conf = path.join(dir, 'tinyproxy.conf');
  await writeFile(
    conf,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 60',
      'LogLevel Connect',
      'MaxClients 20',
      'Allow 127.0.0.1',
      '',
    ].join('\n'),
  );
  const child = spawn('tinyproxy', ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e) =>
      reject(
        new Error(
          `tinyproxy could not start (${e.message}): install it with scripts/system-deps.sh (apt-get install tinyproxy)`,
        ),
      ),
    );
    child.once('exit', (code) => reject(new Error(`tinyproxy exited with ${code}: ${output}`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([answers(port), failed]))) {
    if (Date.now() > deadline)
      throw new Error(`tinyproxy did not listen on 127.0.0.1:${port} within 10 s: ${output}`);
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    connects: (hostPort) => output.split('\n').filter((l) => l.includes(`CONNECT ${hostPort} `)).length,
    log: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
