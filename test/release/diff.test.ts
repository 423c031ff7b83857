// diffReleases and diffDocuments: services, layers, delta bytes and Compose changes between two releases.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { planBundle } from '../../src/bundle/index.ts';
import { diffDocuments, diffReleases, loadChain, type StoredRelease } from '../../src/release/index.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

test('diffDocuments walks mappings and compares lists and scalars whole', () => {
  const a = {
    services: { web: { image: 'a:1', ports: ['80:80'], restart: 'no' }, old: { image: 'o' } },
    'x-skiff': { config: { 'a.b': 1 } },
  };
  const b = {
    services: { web: { image: 'a:2', ports: ['80:80', '443:443'] }, new: { image: 'n' } },
    'x-skiff': { config: { 'a.b': 1 } },
  };
  assert.deepEqual(diffDocuments(a, b), [
    { path: 'services.new', kind: 'added', to: { image: 'n' } },
    { path: 'services.old', kind: 'removed', from: { image: 'o' } },
    { path: 'services.web.image', kind: 'changed', from: 'a:1', to: 'a:2' },
    { path: 'services.web.ports', kind: 'changed', from: ['80:80'], to: ['80:80', '443:443'] },
    { path: 'services.web.restart', kind: 'removed', from: 'no' },
  ]);
  assert.deepEqual(diffDocuments({ labels: { 'com.example': 'x' } }, { labels: { 'com.example': 'y' } }), [
    { path: 'labels."com.example"', kind: 'changed', from: 'x', to: 'y' },
  ]);
  assert.deepEqual(diffDocuments(a, structuredClone(a)), []);
});

let vendor: Vendor;
let v1: StoredRelease;
let v2: StoredRelease;

before(async () => {
  vendor = await makeVendor('skdiff');
  v1 = await vendor.createVersion('1.0.0');
  v2 = await vendor.createVersion('2.0.0', {
    edit: (doc) => {
      doc.services['web'] = { ...doc.services['web'], restart: 'always' };
      doc.services['cron'] = { image: vendor.workerImage, command: ['sleep', '60'] };
      delete doc.services['worker']?.['restart'];
    },
  });
});

after(async () => {
  await vendor?.cleanup();
});

test('diffReleases names added and changed services, layers, and what a delta carries', async () => {
  const d = await diffReleases(vendor.store, v1, v2);
  assert.equal(d.app, vendor.app);
  assert.deepEqual(d.from, { version: '1.0.0', digest: v1.digest });
  assert.deepEqual(d.to, { version: '2.0.0', digest: v2.digest });
  assert.deepEqual(d.services, { added: ['cron'], removed: [], changed: ['web', 'worker'] });

  const web = d.images.find((i) => i.service === 'web');
  assert.ok(web);
  assert.equal(web.imageChanged, true);
  assert.equal(web.from?.ref, vendor.webImage('1.0.0'));
  assert.equal(web.to?.ref, vendor.webImage('2.0.0'));
  assert.equal(web.layersAdded.length, 1, 'only the web layer differs, the base layer is shared');
  assert.equal(web.layersRemoved.length, 1);
  assert.ok((web.layersAdded[0]?.size ?? 0) > 0);

  const worker = d.images.find((i) => i.service === 'worker');
  assert.equal(worker?.imageChanged, false, 'worker changed in Compose only');
  assert.deepEqual(worker?.layersAdded, []);
  const cron = d.images.find((i) => i.service === 'cron');
  assert.equal(cron?.status, 'added');
  assert.equal(cron?.to?.manifestDigest, v1.manifest.images['worker']?.manifestDigest);
  assert.equal(cron?.layersAdded.length, 2);

  // The delta is exactly what a delta bundle from v1 includes.
  const plan = await planBundle({
    blobs: vendor.store,
    release: v2,
    base: v1,
    chain: await loadChain(vendor.store, vendor.app),
  });
  assert.equal(d.delta.bytes, plan.includedBytes);
  assert.equal(d.delta.blobs, plan.blobs.filter((b) => b.included).length);
  assert.equal(d.delta.blobs, 5, "web's manifest, config and layer, the release's SBOM and the layer's content index");

  const paths = d.compose.map((c) => `${c.kind} ${c.path}`);
  assert.deepEqual(paths, [
    'added services.cron',
    'changed services.web.image',
    'changed services.web.restart',
    'removed services.worker.restart',
  ]);
  const restart = d.compose.find((c) => c.path === 'services.web.restart');
  assert.deepEqual([restart?.from, restart?.to], ['unless-stopped', 'always']);
});

test('diffReleases of a release with itself is empty', async () => {
  const d = await diffReleases(vendor.store, v1, v1);
  assert.deepEqual(d.services, { added: [], removed: [], changed: [] });
  assert.deepEqual(d.compose, []);
  assert.deepEqual(d.delta, { blobs: 0, bytes: 0 });
  assert.ok(d.images.every((i) => i.status === 'unchanged'));
});

test('diffReleases the other way round reports removals', async () => {
  const d = await diffReleases(vendor.store, v2, v1);
  assert.deepEqual(d.services, { added: [], removed: ['cron'], changed: ['web', 'worker'] });
  assert.equal(d.delta.blobs, 5, 'the three image blobs v2 lacks, the SBOM of v1 and its layer\'s content index');
});
