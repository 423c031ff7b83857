// `startHubServer` on a port already in use fails with one line and leaves nothing open: its syslog forwarder's
// connection is closed and the process exits on its own (no handle keeps it alive).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { initHub } from '../../src/hub/init.ts';

const SERVER_MODULE = pathToFileURL(join(import.meta.dirname, '../../src/hub/server.ts')).href;

/** A child process that starts the hub and only prints what happened: it exits when nothing is left open. */
const CHILD = `
const { startHubServer } = await import(process.env.SERVER_MODULE);
try {
  await startHubServer({ dataDir: process.env.DATA, listen: process.env.LISTEN, syslog: process.env.SYSLOG, rollouts: false, webDir: false });
  console.log('listening');
} catch (e) {
  console.log('failed: ' + e.message);
}
`;

function listenOn(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve(typeof a === 'object' && a ? a.port : 0);
  }));
}

describe('hub serve on a port in use', () => {
  let dir: string;
  const taken = createServer();
  const syslog = createServer();
  const connections: Socket[] = [];
  let closedConnections = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-listen-fail-'));
    await initHub({ dataDir: join(dir, 'hub') });
    syslog.on('connection', (s) => {
      connections.push(s);
      s.on('error', () => undefined);
      s.once('close', () => (closedConnections += 1));
    });
  });
  after(async () => {
    for (const s of connections) s.destroy();
    await new Promise((r) => taken.close(r));
    await new Promise((r) => syslog.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('fails with one line, closes the syslog connection it opened, and the process exits by itself', async () => {
    const busyPort = await listenOn(taken);
    const syslogPort = await listenOn(syslog);
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      env: { ...process.env, SERVER_MODULE, DATA: join(dir, 'hub'), LISTEN: `127.0.0.1:${busyPort}`, SYSLOG: `tcp://127.0.0.1:${syslogPort}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 30_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    assert.notEqual(exited, null, `the process did not exit within 30 s after the failed listen: something stayed open\n${out}`);
    assert.match(out, new RegExp(`^failed: cannot listen on 127\\.0\\.0\\.1:${busyPort}: .*EADDRINUSE.*; choose another --listen address$`, 'm'));
    assert.equal(connections.length, 1, 'the forwarder connected to the log system at start');
    for (let i = 0; i < 50 && closedConnections === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    assert.equal(closedConnections, 1, "the forwarder's connection is closed");
  });
});
