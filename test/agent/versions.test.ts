// Version rules of the agent: a release is immutable (same version, other content is refused), and after an
// operator rollback a bundle may not go below the highest release the agent committed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { install, rollback } from '../../src/agent/index.ts';
import { createRelease } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, cleanupApp, makeBundle, removeDir, snapshot, tempDir } from '../helpers/agent.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;
let work: string;
let stateDir: string;
const bundles = new Map<string, string>();

before(async () => {
  vendor = await makeVendor('skver');
  work = await tempDir('skiff-agent-versions');
  stateDir = path.join(work, 'state');
  for (const v of ['1.0.0', '1.5.0', '2.0.0']) {
    await vendor.createVersion(v);
    bundles.set(v, (await makeBundle(vendor.store, vendor.app, v, path.join(work, `${v}.skiff`))).file);
  }
  // Another build of 1.0.0, signed by the same vendor: what a re-tagged CI build would produce.
  const other = new FsBlobStore(path.join(work, 'other-store'));
  await createRelease({ composeFile: await vendor.composeFor('1.0.0', { webPage: 'rebuilt' }), app: vendor.app, version: '1.0.0', trustDir: vendor.trustDir, store: other, engine: vendor.engine });
  bundles.set('1.0.0-other', (await makeBundle(other, vendor.app, '1.0.0', path.join(work, 'other.skiff'))).file);
});

after(async () => {
  if (vendor) await cleanupApp(vendor.engine, vendor.app);
  await vendor?.cleanup();
  await removeDir(work);
});

const run = (version: string) => install({ stateDir, bundle: bundles.get(version)!, trustFile: vendor.rootJson, ...FAST });

test('the installed version with other content is refused, and nothing changes', async () => {
  assert.equal((await run('1.0.0')).outcome, 'installed');
  assert.equal((await run('1.0.0')).outcome, 'unchanged');
  const before = await snapshot(vendor.engine, vendor.app, stateDir);
  await assert.rejects(run('1.0.0-other'), (e) => isSkiffError(e, 'RELEASE_EXISTS') && /immutable/.test(e.message));
  assert.deepEqual(await snapshot(vendor.engine, vendor.app, stateDir), before);
});

test('after an operator rollback, a bundle older than the highest committed release is refused', async () => {
  assert.equal((await run('2.0.0')).outcome, 'upgraded');
  await rollback({ stateDir, ...FAST });
  await assert.rejects(run('1.5.0'), (e) => isSkiffError(e, 'RELEASE_ROLLBACK') && /2\.0\.0/.test(e.message));
  const again = await run('2.0.0');
  assert.equal(again.to, '2.0.0');
});
