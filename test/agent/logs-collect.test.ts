// Log collection end to end: a real container writes known lines (a planted secret among them); a log agent follows
// them through the engine, redacts, spools and ships them to a real hub process. The agent is killed (SIGKILL) and
// restarted, the hub is stopped for a while and restarted: every line arrives exactly once, redacted.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { StateDir } from '../../src/agent/state.ts';
import { mintToken } from '../../src/hub/auth/secrets.ts';
import { openMetadataDb } from '../../src/hub/db/index.ts';
import type { DockerEngine } from '../../src/engine/index.ts';
import { Label } from '../../src/oci/constants.ts';
import { REDACTED } from '../../src/redact/index.ts';
import { cleanupApp, dockerExec, removeDir, tempDir } from '../helpers/agent.ts';
import { buildBusyboxImage, ensureEngine, uniqueName } from '../helpers/engine.ts';
import { seed } from '../helpers/hub-release.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';

const AGENT = fileURLToPath(new URL('../helpers/log-agent-process.ts', import.meta.url));
const SECRET = 'planted-Db-Passw0rd-7c1f';
const LINES = 600;

describe('log collection by the agent, shipped to a real hub', () => {
  let engine: DockerEngine;
  let hub: HubProcess | undefined;
  let agent: ChildProcess | undefined;
  let agentOutput = '';
  const app = uniqueName('sklog');
  const tag = `${app}-img:1`;
  let data = '';
  let stateDir = '';
  let port = 0;
  const ids = { instance: '', credential: '', admin: '' };

  async function startAgent(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', AGENT, stateDir, app, ids.instance, `http://127.0.0.1:${port}`, ids.credential], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr?.on('data', (c: Buffer) => (agentOutput = (agentOutput + c.toString()).slice(-8000)));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (c: Buffer) => c.toString().includes('log agent started') && resolve());
      child.once('exit', (code) => reject(new Error(`log agent exited with ${code}: ${agentOutput}`)));
    });
    agent = child;
  }

  async function killAgent(signal: NodeJS.Signals): Promise<void> {
    const child = agent;
    agent = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async function hubLines(): Promise<{ message: string; source: string; level: string; service: string }[]> {
    const res = await request(`http://127.0.0.1:${port}/api/v1/logs?instance=${ids.instance}&limit=5000`, { headers: { authorization: `Bearer ${ids.admin}` } });
    const body = (await res.body.json()) as { lines: { message: string; source: string; level: string; service: string }[] };
    if (res.statusCode !== 200) throw new Error(`search: ${res.statusCode} ${JSON.stringify(body)}`);
    return body.lines;
  }

  before(async () => {
    engine = await ensureEngine();
    data = await tempDir('skiff-logs-hub-');
    stateDir = await tempDir('skiff-logs-agent-');
    ids.admin = (await hubInit({ data })).token;
    const db = await openMetadataDb({ dataDir: data });
    try {
      const c = await seed(db, (tx) => tx.createCustomer({ name: `${app}-co`, airgapped: false, entitlements: [] }));
      const credential = mintToken('ski_');
      const inst = await seed(db, async (tx) => {
        const i = await tx.createInstance({ customerId: c.id, app, name: 'site-1' });
        await tx.createToken({ kind: 'instance', hash: credential.hash, name: 'instance site-1', userId: null, customerId: c.id, instanceId: i.id, scopes: [], expiresAt: null });
        return i;
      });
      Object.assign(ids, { instance: inst.id, credential: credential.token });
    } finally {
      await db.close();
    }
    hub = await startHubProcess({ data });
    port = Number(new URL(hub.url).port);
    // The running release's values (its manifest is not in this state dir, so every value counts as secret).
    await new StateDir(stateDir).writeState({ app, current: { version: '1.0.0', digest: `sha256:${'a'.repeat(64)}`, values: { DB_PASSWORD: SECRET }, installedAt: new Date().toISOString() }, history: [] });
    await buildBusyboxImage(engine, tag);
  });

  after(async () => {
    await killAgent('SIGKILL');
    await hub?.stop();
    await cleanupApp(engine, app);
    await engine.imageRemove(tag, { force: true }).catch(() => undefined);
    await engine.close();
    await removeDir(data);
    await removeDir(stateDir);
  });

  async function waitFor(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (agent: ${agentOutput})`);
      await sleep(300);
    }
  }

  it('ships every line once, redacted, across an agent killed and a hub down', async () => {
    // Three phases of 200 lines (every tenth also on stderr); each of the later ones starts when the test says so.
    const phase = (n: number) => `i=${n * 200 + 1}; while [ $i -le ${(n + 1) * 200} ]; do echo "line $i connecting with ${SECRET} Authorization: Bearer tok-$i-abcdefghijkl"; if [ $((i % 10)) -eq 0 ]; then echo "ERROR line $i on stderr" >&2; fi; i=$((i+1)); done`;
    const gate = (n: number) => `while [ ! -e /tmp/go${n} ]; do usleep 50000; done`;
    const script = `${phase(0)}; ${gate(1)}; ${phase(1)}; ${gate(2)}; ${phase(2)}; sleep 3600`;
    const name = `${app}-web-1`;
    const id = await engine.containerCreate(name, { Image: tag, Cmd: ['sh', '-c', script], Labels: { [Label.app]: app, [Label.service]: 'web' } });
    await engine.containerStart(id);
    await startAgent();
    await waitFor('phase 1 at the hub', async () => (await hubLines()).length >= 220);
    // Killed outright; lines written meanwhile are read when it is back, after the last one it spooled.
    await killAgent('SIGKILL');
    await dockerExec(name, 'touch /tmp/go1');
    await sleep(500);
    await startAgent();
    await waitFor('phase 2 at the hub', async () => (await hubLines()).length >= 440);
    // The hub goes away while the container writes on: the spool holds the lines until it is back.
    await hub?.stop();
    await dockerExec(name, 'touch /tmp/go2');
    await waitFor('phase 3 in the spool', async () => (await readdir(`${stateDir}/connected/logs`)).some((f) => f.startsWith('seg-')), 30_000);
    await sleep(2000);
    hub = await startHubProcess({ data, port });
    const deadline = Date.now() + 90_000;
    let lines = await hubLines();
    while (lines.length < LINES + LINES / 10 && Date.now() < deadline) {
      await sleep(1000);
      lines = await hubLines();
    }
    const out = lines.filter((l) => l.source === 'stdout').map((l) => Number(/^line (\d+) /.exec(l.message)?.[1]));
    const err = lines.filter((l) => l.source === 'stderr');
    assert.deepEqual(out, Array.from({ length: LINES }, (_, i) => i + 1), `every stdout line once, in order (agent: ${agentOutput})`);
    assert.equal(err.length, LINES / 10);
    assert.ok(err.every((l) => l.level === 'error' && l.service === 'web'));
    const text = JSON.stringify(lines);
    assert.ok(!text.includes(SECRET) && !text.includes('abcdefghijkl'), 'no planted secret reached the hub');
    const first = lines.find((l) => l.source === 'stdout');
    assert.ok(first?.message.includes(`connecting with ${REDACTED} Authorization: Bearer ${REDACTED}`), first?.message);
  });
});
