// Faults at every engine call: an upgrade (snapshot, pre-upgrade hook that migrates, switch) where one call of the
// engine fails, each call in turn (the real engine behind, one fault injected in front). The agent either finishes,
// or reports the failed call clearly and goes back to the old release with the old data by itself.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { agentStatus, install, resume, rollback } from '../../src/agent/index.ts';
import { AGENT_ENGINE_CALLS, DockerEngine, type AgentEngine, type AgentEngineCall } from '../../src/engine/index.ts';
import { SkiffError, isSkiffError } from '../../src/util/errors.ts';
import { FAST, cleanupApp, dockerExec, makeBundle, removeDir, tempDir } from '../helpers/agent.ts';
import { makeVendor, type ComposeDoc, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;
let work: string;
let stateDir: string;
const bundles = new Map<string, string>();

const edit = (hooks: Record<string, unknown>) => (doc: ComposeDoc): void => {
  doc.services['worker']!['command'] = ['sleep', '3600'];
  doc['x-skiff'] = { ...(doc['x-skiff'] as Record<string, unknown>), volumes: { data: { snapshot: true } }, hooks };
};
const MIGRATE = { service: 'worker', command: ['sh', '-c', 'echo v2 > /data/schema'] };
const SEED = 'echo v1 > /data/schema';
const schema = async (): Promise<string> => (await dockerExec(`${vendor.app}-worker-1`, 'cat /data/schema')).trim();

before(async () => {
  vendor = await makeVendor('skflt');
  work = await tempDir('skiff-engine-faults');
  stateDir = path.join(work, 'state');
  for (const [version, opts] of [['1.0.0', { edit: edit({}) }], ['2.0.0', { edit: edit({ 'pre-upgrade': MIGRATE }) }], ['3.0.0', { health: 'fail', edit: edit({ 'pre-upgrade': MIGRATE }) }]] as const) {
    await vendor.createVersion(version, opts);
    bundles.set(version, (await makeBundle(vendor.store, vendor.app, version, path.join(work, `${version}.skiff`))).file);
  }
  await install({ stateDir, bundle: bundles.get('1.0.0')!, trustFile: vendor.rootJson, ...FAST });
  await dockerExec(`${vendor.app}-worker-1`, SEED);
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

/** The real engine, with the `nth` call (from 1) of `fail` rejected as the engine would reject it; `seen` counts every call. */
function faultyEngine(fail: AgentEngineCall | undefined, nth: number, seen: Map<string, number>): () => Promise<AgentEngine> {
  return async () => {
    const real = await DockerEngine.connect();
    return new Proxy(real, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const name = String(prop);
          const count = (seen.get(name) ?? 0) + 1;
          seen.set(name, count);
          if (name === fail && count === nth) return Promise.reject(new SkiffError('ENGINE_ERROR', `Docker Engine: injected failure of ${name}`));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  };
}

async function on(version: string, data: string): Promise<void> {
  const s = await agentStatus(stateDir);
  assert.equal(s.operation, undefined, 'nothing left in flight');
  assert.equal(s.current?.version, version);
  assert.deepEqual(s.services.map((x) => [x.service, x.release, x.state]), [['web', version, 'running'], ['worker', version, 'running']]);
  assert.equal(await schema(), data);
}

/** The engine calls an upgrade to `version` makes, learnt from a run without faults (then back to 1.0.0). */
async function callsOf(version: string): Promise<AgentEngineCall[]> {
  const seen = new Map<string, number>();
  await install({ stateDir, bundle: bundles.get(version)!, ...FAST, engine: faultyEngine(undefined, 0, seen) }).catch(() => undefined);
  if ((await agentStatus(stateDir)).current?.version === version) await backTo1();
  return [...seen.keys()].filter((c): c is AgentEngineCall => (AGENT_ENGINE_CALLS as readonly string[]).includes(c));
}

async function backTo1(): Promise<void> {
  await rollback({ stateDir, ...FAST });
  await dockerExec(`${vendor.app}-worker-1`, SEED);
}

/** The first use of `call` in the upgrade to `version` fails: a SkiffError naming it, and 1.0.0 as before — or the upgrade done. */
async function faultAt(version: string, call: AgentEngineCall, converges: 'by itself' | 'on the next command'): Promise<void> {
  const r = await install({ stateDir, bundle: bundles.get(version)!, ...FAST, engine: faultyEngine(call, 1, new Map()) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (r !== undefined) {
    assert.ok(isSkiffError(r), `${call}: a SkiffError, not ${String(r)}`);
    if (r.code !== 'HEALTH_FAILED') assert.match(r.message, new RegExp(`injected failure of ${call}`), `${call}: the message names the failed call`);
  }
  // A fault on the way forward is recovered from at once; one on the way back is left to the next command.
  const left = (await agentStatus(stateDir)).operation;
  if (converges === 'by itself') assert.equal(left, undefined, `${call}: nothing left in flight after the fault`);
  if (left) await resume({ stateDir, ...FAST });
  if ((await agentStatus(stateDir)).current?.version === version) {
    await on(version, 'v2');
    await backTo1();
  }
  await on('1.0.0', 'v1');
}

let healthyCalls: AgentEngineCall[] = [];

test('each engine call of a healthy upgrade that migrates, failing in turn: the agent ends on 2.0.0 (migrated) or 1.0.0 (as before)', async () => {
  healthyCalls = await callsOf('2.0.0');
  for (const c of ['containerArchive', 'containerCreate', 'containerStart', 'containerStop', 'containerRename', 'containerWait', 'containerInspect'] as const) assert.ok(healthyCalls.includes(c), `the upgrade uses ${c}`);
  for (const call of healthyCalls) await faultAt('2.0.0', call, 'by itself');
});

test('each engine call only the way back uses (restoring the volume), failing in turn: 1.0.0 with the old data', async () => {
  const back = (await callsOf('3.0.0')).filter((c) => !healthyCalls.includes(c));
  for (const c of ['containerPutArchive', 'volumeRemove'] as const) assert.ok(back.includes(c), `the way back uses ${c}`);
  for (const call of back) await faultAt('3.0.0', call, 'on the next command');
});
