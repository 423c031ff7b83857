// The app of the data-safe upgrade tests: a `data` volume marked for snapshots, seeded with files whose names, modes,
// owners and contents are fingerprinted, and releases whose pre-upgrade hook migrates it (then stay healthy or not).
import assert from 'node:assert/strict';
import path from 'node:path';
import { agentStatus, install, rollback } from '../../src/agent/index.ts';
import { FAST, cleanupApp, dockerExec, makeBundle, removeDir, tempDir } from './agent.ts';
import { makeVendor, type ComposeDoc, type Vendor } from './vendor.ts';

/** Release options: `data` marked for snapshots, a worker that only sleeps (so restarts leave the volume as it is), hooks. */
function withHooks(hooks: Record<string, unknown>): (doc: ComposeDoc) => void {
  return (doc) => {
    doc.services['worker']!['command'] = ['sleep', '3600'];
    doc['x-skiff'] = { ...(doc['x-skiff'] as Record<string, unknown>), volumes: { data: { snapshot: true } }, hooks };
  };
}

const MIGRATE = { service: 'worker', command: ['sh', '-c', 'echo migrating; echo v2 > /data/schema; rm /data/sub/old; echo done > /data/migrated; echo migrated'] };

export const VERSIONS = {
  '1.0.0': { edit: withHooks({}) },
  // Migrates, then web never becomes healthy.
  '2.0.0': { health: 'fail', edit: withHooks({ 'pre-upgrade': MIGRATE }) },
  '2.1.0': { edit: withHooks({ 'pre-upgrade': { service: 'worker', command: ['sh', '-c', 'echo step one; echo half > /data/schema; echo "schema 7 is broken" >&2; exit 3'] } }) },
  '2.2.0': { edit: withHooks({ 'pre-upgrade': { service: 'worker', command: ['sh', '-c', 'echo waiting for a lock; echo half > /data/schema; sleep 600'], timeout: '2s' } }) },
  '3.0.0': { edit: withHooks({ 'pre-upgrade': MIGRATE, 'post-upgrade': { service: 'worker', command: ['sh', '-c', 'test -f /data/migrated'] } }) },
} as const;
export type DataSafeVersion = keyof typeof VERSIONS;

const SEED = 'rm -rf /data/* && echo v1 > /data/schema && mkdir -p /data/sub && echo keep > /data/sub/old && seq 1 20000 > /data/blob && chown 65534:65534 /data/sub/old && chmod 600 /data/sub/old';
/** Names, modes, owners, sizes and sha256 of everything in /data: equal means byte-identical. */
const FINGERPRINT = 'cd /data && find . | sort | while read f; do stat -c "%n %a %u %g %F" "$f"; [ -f "$f" ] && sha256sum "$f"; done; true';

export interface DataSafeApp {
  readonly vendor: Vendor;
  readonly stateDir: string;
  readonly bundles: ReadonlyMap<DataSafeVersion, string>;
  /** The fingerprint of the seeded data, and of the data after the migration. */
  readonly original: string;
  readonly migrated: string;
  fingerprint(): Promise<string>;
  /** The agent is idle on `version`, both services of that release run, and the data is `data`. */
  assertOn(version: string, data: string): Promise<void>;
  /** Back to 1.0.0 with the original data, where every case starts. */
  reset(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Creates `versions` (1.0.0 always), installs 1.0.0 and seeds its volume. */
export async function setUpDataSafe(prefix: string, versions: readonly DataSafeVersion[]): Promise<DataSafeApp> {
  const vendor = await makeVendor(prefix);
  const work = await tempDir(`skiff-${prefix}`);
  const stateDir = path.join(work, 'state');
  const bundles = new Map<DataSafeVersion, string>();
  for (const version of new Set<DataSafeVersion>(['1.0.0', ...versions])) {
    await vendor.createVersion(version, VERSIONS[version]);
    bundles.set(version, (await makeBundle(vendor.store, vendor.app, version, path.join(work, `${version}.skiff`))).file);
  }
  const worker = `${vendor.app}-worker-1`;
  const fingerprint = (): Promise<string> => dockerExec(worker, FINGERPRINT);
  await install({ stateDir, bundle: bundles.get('1.0.0')!, trustFile: vendor.rootJson, ...FAST });
  await dockerExec(worker, SEED);
  const original = await fingerprint();
  await dockerExec(worker, 'echo v2 > /data/schema; rm /data/sub/old; echo done > /data/migrated');
  const migrated = await fingerprint();
  await dockerExec(worker, SEED);
  assert.equal(await fingerprint(), original, 'the seed is deterministic');

  const assertOn = async (version: string, data: string): Promise<void> => {
    const s = await agentStatus(stateDir);
    assert.equal(s.operation, undefined, 'no operation left in flight');
    assert.equal(s.current?.version, version);
    assert.deepEqual(s.services.map((x) => [x.service, x.release, x.state]), [['web', version, 'running'], ['worker', version, 'running']]);
    assert.equal(await fingerprint(), data, `the data of ${version}`);
  };
  return {
    vendor,
    stateDir,
    bundles,
    original,
    migrated,
    fingerprint,
    assertOn,
    async reset() {
      if ((await agentStatus(stateDir)).current?.version !== '1.0.0') await rollback({ stateDir, ...FAST });
      await dockerExec(worker, SEED);
      await assertOn('1.0.0', original);
    },
    async cleanup() {
      await cleanupApp(vendor.engine, vendor.app);
      await vendor.cleanup();
      await removeDir(work);
    },
  };
}
