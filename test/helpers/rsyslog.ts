// Debian's rsyslogd in the foreground with a private config: imtcp on a free loopback port (octet-counted framing), in
// plain TCP or TLS (rsyslog-gnutls's gtls driver, anonymous clients), every message written to a file as
// "host app msgid [structured data] message" lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.ts';

export interface Rsyslog {
  readonly port: number;
  /** What it wrote so far. */
  received(): Promise<string>;
  stop(): Promise<void>;
}

/** The server's certificate, its key and the CA that issued it (PEM files), for TLS. */
export interface RsyslogTls {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

export async function startRsyslog(dir: string, tls?: RsyslogTls): Promise<Rsyslog> {
  const port = await freePort();
  const out = join(dir, 'received.log');
  const conf = join(dir, 'rsyslog.conf');
  await writeFile(conf, [
    tls
      ? `global(workDirectory="${dir}" DefaultNetstreamDriverCAFile="${tls.caCert}" DefaultNetstreamDriverCertFile="${tls.cert}" DefaultNetstreamDriverKeyFile="${tls.key}")`
      : `global(workDirectory="${dir}")`,
    tls ? 'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")' : 'module(load="imtcp")',
    `input(type="imtcp" port="${port}" address="127.0.0.1")`,
    'template(name="plain" type="string" string="%hostname% %app-name% %msgid% %pri% %structured-data% %msg%\\n")',
    `*.* action(type="omfile" file="${out}" template="plain")`,
    '',
  ].join('\n'));
  let output = '';
  const child: ChildProcess = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`rsyslogd exited with ${child.exitCode}: ${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`rsyslogd did not listen on ${port} within 20 s: ${output}`);
    await sleep(100);
  }
  return {
    port,
    received: () => readFile(out, 'utf8').catch(() => ''),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
