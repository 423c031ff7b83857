// Log files inside a volume (x-skiff.logs), read through the volume's mountpoint while a real container writes them:
// a rotation while the agent is down (the rest of the renamed file is read first, by its inode), then a truncation
// while it runs; every line once, in order, redacted.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileLogCollector, LogSpool, type LogFileTarget } from '../../src/agent/connected/logs/index.ts';
import type { DockerEngine } from '../../src/engine/index.ts';
import { Label } from '../../src/oci/index.ts';
import { REDACTED } from '../../src/redact/index.ts';
import { cleanupApp, dockerExec, removeDir, tempDir } from '../helpers/agent.ts';
import { buildBusyboxImage, ensureEngine, uniqueName } from '../helpers/engine.ts';

describe('log files in a volume', () => {
  let engine: DockerEngine;
  let dir = '';
  const app = uniqueName('sklogf');
  const tag = `${app}-img:1`;
  const volume = `${app}_data`;

  before(async () => {
    engine = await ensureEngine();
    dir = await tempDir('skiff-logfiles-');
    await buildBusyboxImage(engine, tag);
    await engine.volumeCreate(volume, { [Label.app]: app });
  });
  after(async () => {
    await cleanupApp(engine, app);
    await engine.volumeRemove(volume).catch(() => undefined);
    await engine.imageRemove(tag, { force: true }).catch(() => undefined);
    await engine.close();
    await removeDir(dir);
  });

  async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  }

  it('follows rotation and truncation, resuming after a restart where it stopped', async () => {
    const write = (from: number, to: number) => `i=${from}; while [ $i -le ${to} ]; do echo "file line $i password=hunter2" >> app.log; i=$((i+1)); done`;
    const gate = (n: number) => `while [ ! -e /tmp/go${n} ]; do usleep 50000; done`;
    const script = `cd /var/log/app && ${write(1, 40)}; ${gate(1)}; ${write(41, 50)}; mv app.log app.log.1; ${write(51, 100)}; touch /tmp/done1; ${gate(2)}; : > app.log; ${write(101, 120)}; sleep 3600`;
    const name = `${app}-web-1`;
    const id = await engine.containerCreate(name, { Image: tag, Cmd: ['sh', '-c', script], Labels: { [Label.app]: app, [Label.service]: 'web' }, HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/var/log/app' }] } });
    await engine.containerStart(id);
    const mountpoint = (await engine.volumeInspect(volume))?.mountpoint ?? '';
    const target: LogFileTarget = { service: 'web', label: 'data', hostDir: mountpoint, pattern: '*.log' };
    const spoolDir = join(dir, 'spool');
    const all = async (s: LogSpool) => (await s.nextBatch(1000)).map((l) => l.message);

    let spool = await LogSpool.open(spoolDir);
    let files = new FileLogCollector(spool, async () => []);
    await until('lines 1-40', async () => (await files.scan([target]), (await all(spool)).length >= 40));
    await files.stop();
    // The agent is down while the file gets 10 more lines and is rotated away (app.log → app.log.1, a new app.log).
    await dockerExec(name, 'touch /tmp/go1; while [ ! -e /tmp/done1 ]; do usleep 50000; done');
    spool = await LogSpool.open(spoolDir);
    files = new FileLogCollector(spool, async () => []);
    await until('lines 41-100', async () => (await files.scan([target]), (await all(spool)).length >= 100));
    // Truncated in place while it runs (copytruncate): read again from the start.
    await dockerExec(name, 'touch /tmp/go2');
    await until('lines 101-120', async () => (await files.scan([target]), (await all(spool)).length >= 120));
    await sleep(500);
    await files.scan([target]);
    await files.stop();
    const lines = await spool.nextBatch(1000);
    assert.deepEqual(lines.map((l) => Number(/^file line (\d+) /.exec(l.message)?.[1])), Array.from({ length: 120 }, (_, i) => i + 1));
    assert.ok(lines.every((l) => l.message.endsWith(`password=${REDACTED}`) && l.service === 'web' && l.source === 'file:data/app.log'));
    for (const f of await readdir(spoolDir)) assert.ok(!(await readFile(join(spoolDir, f), 'utf8')).includes('hunter2'), `${f} holds no secret`);
  });
});
