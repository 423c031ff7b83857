// nginx as the bench's static-file peer: one worker process (the hub is one process too), no access log, files
// served with sendfile at fixed URL paths, on a free loopback port; stopped by the caller.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from '../../test/helpers/ports.ts';

export interface Nginx {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  stop(): Promise<void>;
}

/** Starts nginx in `dir` (its config, pid and temp files go there) serving each `files` entry: URL path → file. */
export async function startNginx(dir: string, files: Readonly<Record<string, string>>): Promise<Nginx> {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  const locations = Object.entries(files).map(([path, file]) => `    location = ${path} { alias ${file}; }`);
  await writeFile(
    conf,
    [
      'user root;',
      'worker_processes 1;',
      'daemon off;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')};`,
      'events { worker_connections 1024; }',
      'http {',
      // As Node's server: a kept-alive connection serves any number of requests.
      '  access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;',
      `  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;`,
      `  server {\n    listen 127.0.0.1:${port};\n${locations.join('\n')}\n  }`,
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn('nginx', ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const origin = `http://127.0.0.1:${port}`;
  const probe = `${origin}${Object.keys(files)[0] ?? '/'}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    const up = await request(probe, { method: 'HEAD' }).then((r) => r.statusCode === 200, () => false);
    if (up) break;
    if (i >= 100) {
      await stop();
      throw new Error(`nginx did not answer on ${probe} within 10 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { origin, stop };
}
