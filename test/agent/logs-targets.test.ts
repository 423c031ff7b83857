// The agent's lookup of an installed release's x-skiff.logs (`volume:/dir/pattern`, settings interpolated with the
// site's values) to host directories through the real Docker Engine's volume mountpoints; the files a running
// container writes there are followed through a rotation from what the lookup returned.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { install } from '../../src/agent/index.ts';
import { FileLogCollector, LogSpool } from '../../src/agent/connected/logs/index.ts';
import { runningLogTargets } from '../../src/agent/connected/logs/targets.ts';
import { FAST, cleanupApp, dockerExec, makeBundle, removeDir, tempDir } from '../helpers/agent.ts';
import { makeVendor, type ComposeDoc, type Vendor } from '../helpers/vendor.ts';

/** worker writes app.log lines 1–5, and on /data/go rotates it (app.log → app.log.1) and writes lines 6–10 to a new one. */
const writesLogs = (doc: ComposeDoc): void => {
  const write = (from: number, to: number) => `i=${from}; while [ $$i -le ${to} ]; do echo "app line $$i" >> /data/logs/app.log; i=$$((i+1)); done`;
  doc.services.worker!.command = ['sh', '-c', `mkdir -p /data/logs /data/$$AUDIT_DIR && echo "audit entry 1" >> /data/$$AUDIT_DIR/audit-1.txt && ${write(1, 5)}; while [ ! -e /data/go ]; do usleep 50000; done; mv /data/logs/app.log /data/logs/app.log.1; ${write(6, 10)}; exec sleep 3600`];
  doc.services.worker!.environment = { AUDIT_DIR: '${AUDIT_DIR}' };
  const xs = doc['x-skiff'] as { config: Record<string, unknown>; logs?: string[] };
  xs.config.AUDIT_DIR = { type: 'string', default: 'audit' };
  xs.logs = ['data:/data/logs/*.log', 'data:/data/${AUDIT_DIR}/audit-?.txt'];
};

describe('log targets of the installed release', () => {
  let vendor: Vendor;
  let work: string;
  let state: string;

  before(async () => {
    vendor = await makeVendor('sklgt');
    work = await tempDir('skiff-logtargets');
    state = join(work, 'state');
    await vendor.createVersion('1.0.0', { edit: writesLogs });
  });
  after(async () => {
    await cleanupApp(vendor.engine, vendor.app);
    await vendor.cleanup();
    await removeDir(work);
  });

  it('finds nothing before anything is installed', async () => {
    assert.deepEqual(await runningLogTargets(state, vendor.engine), []);
  });

  it("maps each entry to the data volume's mountpoint on this host, with the site's values, and the files there are followed through a rotation", async () => {
    await writeFile(join(work, 'values.yaml'), 'AUDIT_DIR: audit-trail\n');
    await install({ stateDir: state, bundle: (await makeBundle(vendor.store, vendor.app, '1.0.0', join(work, '1.0.0.skiff'))).file, valuesFile: join(work, 'values.yaml'), trustFile: vendor.rootJson, ...FAST });
    const mountpoint = (await vendor.engine.volumeInspect(`${vendor.app}_data`))?.mountpoint;
    assert.ok(mountpoint, 'the install made the data volume');
    const targets = await runningLogTargets(state, vendor.engine);
    assert.deepEqual(targets, [
      { service: 'worker', label: 'data/logs', hostDir: join(mountpoint, 'logs'), pattern: '*.log' },
      { service: 'worker', label: 'data/audit-trail', hostDir: join(mountpoint, 'audit-trail'), pattern: 'audit-?.txt' },
    ]);

    const spool = await LogSpool.open(join(work, 'spool'));
    const files = new FileLogCollector(spool, async () => []);
    try {
      const messages = async () => (await spool.nextBatch(1000)).map((l) => `${l.source} ${l.message}`);
      const until = async (what: string, n: number): Promise<void> => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          await files.scan(targets);
          if ((await messages()).length >= n) return;
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${(await messages()).join('\n')}`);
          await sleep(200);
        }
      };
      await until('the audit line and app lines 1-5', 6);
      await dockerExec(`${vendor.app}-worker-1`, 'touch /data/go');
      await until('app lines 6-10 after the rotation', 11);
      await sleep(300);
      await files.scan(targets);
      const got = await messages();
      assert.deepEqual(got.filter((m) => m.includes('app line')).map((m) => Number(/app line (\d+)$/.exec(m)?.[1])), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], got.join('\n'));
      assert.ok(got.includes('file:data/audit-trail/audit-1.txt audit entry 1'), got.join('\n'));
    } finally {
      await files.stop();
    }
  });
});
