// createRelease against the real Docker Engine: manifest fields, blobs in the store, idempotence, refusals.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { MediaType } from '../../src/oci/constants.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { parseImageManifest } from '../../src/oci/index.ts';
import { decodeLayerIndex, indexLayerTar, layerTar } from '../../src/delta/index.ts';
import {
  AGENT_VERSION,
  RELEASE_SCHEMA,
  createRelease,
  getRelease,
  listReleases,
  loadChain,
  releaseBlobs,
  releaseBytes,
  releaseDigest,
  saveRelease,
} from '../../src/release/index.ts';
import { loadTrustDir } from '../../src/trust/index.ts';
import { isSkiffError, type SkiffErrorCode } from '../../src/util/errors.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

let vendor: Vendor;

before(async () => {
  vendor = await makeVendor('skrel');
});

after(async () => {
  await vendor?.cleanup();
});

const rejectsWith = async (p: Promise<unknown>, code: SkiffErrorCode, message?: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isSkiffError(e, code), `expected ${code}, got ${String(e)}`);
    if (message) assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
};

test('release create writes a signed, canonical manifest naming every service image', async () => {
  const { release, created } = await vendor.createVersionResult('1.0.0', { changelog: 'First.\n' });
  assert.equal(created, true);
  const m = release.manifest;
  assert.equal(m.schema, RELEASE_SCHEMA);
  assert.equal(m.app, vendor.app);
  assert.equal(m.version, '1.0.0');
  assert.equal(m.changelog, 'First.\n');
  assert.equal(m.minAgentVersion, AGENT_VERSION);
  assert.ok(!Number.isNaN(Date.parse(m.createdAt)));
  assert.deepEqual(Object.keys(m.images).sort(), ['web', 'worker']);
  assert.deepEqual(
    m.configSchema.map((c) => [c.name, c.type, c.secret]),
    [
      ['WEB_PORT', 'port', false],
      ['GREETING', 'string', false],
      ['API_TOKEN', 'string', true],
    ],
  );
  const compose = m.compose as { services: Record<string, { image: string }> };
  assert.equal(compose.services['web']?.image, vendor.webImage('1.0.0'));
  assert.equal(release.digest, releaseDigest(release.bytes));
  assert.equal(release.digest, sha256(release.bytes));
  const sig = JSON.parse(release.sig.toString('utf8')) as { signatures: unknown[] };
  assert.equal(sig.signatures.length, 1);
  assert.equal((await getRelease(vendor.store, vendor.app, '1.0.0')).digest, release.digest);
});

test('every blob is in the store under its own sha256; layers are gzip; configs are the engine image ids', async () => {
  const release = await getRelease(vendor.store, vendor.app, '1.0.0');
  const blobs = await releaseBlobs(vendor.store, release.manifest);
  assert.deepEqual([...new Set(blobs.map((b) => b.kind))], ['manifest', 'config', 'layer', 'sbom', 'index']);
  // One content index per layer (content-level deltas), referenced from the signed manifest. It was made from the
  // engine's export while the layer was compressed: the same index as the layer blob gives.
  assert.deepEqual(release.manifest.contentIndex?.map((c) => c.layer).sort(), blobs.filter((b) => b.kind === 'layer').map((b) => b.digest).sort());
  for (const ref of release.manifest.contentIndex ?? []) {
    const made = await decodeLayerIndex(await buffer(await vendor.store.get(ref.digest)), ref.digest);
    assert.deepEqual(made, await indexLayerTar(layerTar(vendor.store, ref.layer), made.average));
  }
  for (const b of blobs) {
    const bytes = await buffer(await vendor.store.get(b.digest));
    assert.equal(sha256(bytes), b.digest);
    assert.equal(bytes.length, b.size);
    if (b.kind === 'layer') {
      assert.equal(b.mediaType, MediaType.ociLayerGzip);
      assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
    }
  }
  const shared = blobs.filter((b) => b.kind === 'layer' && b.services.length === 2);
  assert.equal(shared.length, 1, 'web and worker share the base layer');
  for (const [service, img] of Object.entries(release.manifest.images)) {
    const inspect = await vendor.engine.imageInspect(img.ref);
    assert.ok(inspect, `${service} image is in the engine`);
    assert.equal(img.configDigest, inspect.id);
    assert.equal(img.manifestMediaType, MediaType.ociManifest);
    assert.equal(
      img.sizes.total,
      blobs.filter((b) => b.services.includes(service)).reduce((n, b) => n + b.size, 0),
    );
    // Each layer's tar size (the agent sends the engine the tars it inflates): what the layer inflates to.
    const manifest = parseImageManifest(await buffer(await vendor.store.get(img.manifestDigest)));
    const inflated = await Promise.all(manifest.layers.map(async (l) => gunzipSync(await buffer(await vendor.store.get(l.digest))).length));
    assert.deepEqual(img.sizes.layerTars, inflated);
  }
});

test('creating the same version with the same content again changes nothing', async () => {
  const first = await getRelease(vendor.store, vendor.app, '1.0.0');
  const again = await vendor.createVersionResult('1.0.0', { changelog: 'First.\n' });
  assert.equal(again.created, false);
  assert.equal(again.release.digest, first.digest);
  assert.deepEqual(
    (await listReleases(vendor.store, vendor.app)).map((r) => r.manifest.version),
    ['1.0.0'],
  );
  // As a skiff from before the layers' tar sizes saved it: the same release, signed, without sizes.layerTars.
  const images = Object.fromEntries(Object.entries(first.manifest.images).map(([s, img]) => [s, { ...img, sizes: { manifest: img.sizes.manifest, total: img.sizes.total } }]));
  const older = releaseBytes({ ...first.manifest, images });
  await saveRelease(vendor.store, older, Buffer.from(JSON.stringify((await loadTrustDir(vendor.trustDir)).signRelease(older))), await loadChain(vendor.store, vendor.app));
  const onOlder = await vendor.createVersionResult('1.0.0', { changelog: 'First.\n' });
  assert.equal(onOlder.created, false, 'a release made before the tar sizes were recorded is the same release');
  assert.equal(onOlder.release.digest, releaseDigest(older));
});

test('the same version with other content is refused: RELEASE_EXISTS', async () => {
  await rejectsWith(
    vendor.createVersion('1.0.0', { webPage: 'something else' }),
    'RELEASE_EXISTS',
    /already exists with different content/,
  );
  await rejectsWith(vendor.createVersion('1.0.0', { changelog: 'Edited.\n' }), 'RELEASE_EXISTS');
});

test('a Compose key outside the subset is refused, naming the key and its line', async () => {
  const file = path.join(vendor.dir, 'unsupported.yaml');
  await writeFile(file, `services:\n  web:\n    image: ${vendor.workerImage}\n    privileged: true\n`);
  const opts = {
    composeFile: file,
    app: vendor.app,
    version: '9.0.0',
    trustDir: vendor.trustDir,
    store: vendor.store,
    engine: vendor.engine,
  };
  await rejectsWith(
    createRelease(opts),
    'COMPOSE_UNSUPPORTED_KEY',
    /line 4: services\.web\.privileged is not supported/,
  );
  assert.equal((await listReleases(vendor.store, vendor.app)).length, 1);
});

test('an image missing from the engine is refused: NOT_FOUND names it', async () => {
  const ref = `skiff-test/${vendor.app}-absent:1`;
  const file = await vendor.composeFor('9.1.0', {
    edit: (doc) => void (doc.services['worker'] = { image: ref }),
  });
  const opts = {
    composeFile: file,
    app: vendor.app,
    version: '9.1.0',
    trustDir: vendor.trustDir,
    store: vendor.store,
    engine: vendor.engine,
  };
  await rejectsWith(
    createRelease(opts),
    'NOT_FOUND',
    new RegExp(`image ${ref} is not in the local Docker Engine`),
  );
  await rejectsWith(
    createRelease({ ...opts, composeFile: path.join(vendor.dir, 'nope.yaml') }),
    'NOT_FOUND',
    /the Compose file .*nope\.yaml does not exist: check the path/,
  );
});

test('bad app names and versions are refused before anything is read', async () => {
  const file = await vendor.composeFor('1.0.0');
  const opts = {
    composeFile: file,
    app: vendor.app,
    version: '1.0',
    trustDir: vendor.trustDir,
    store: vendor.store,
    engine: vendor.engine,
  };
  await rejectsWith(createRelease(opts), 'INVALID_INPUT', /not a semantic version/);
  await rejectsWith(
    createRelease({ ...opts, version: '1.0.0', app: 'Bad App' }),
    'INVALID_INPUT',
    /app name/,
  );
});
