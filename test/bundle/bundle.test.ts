// Writing, inspecting and verifying .skiff bundles made from real engine images: determinism, deltas, verify.
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { inspectBundle } from '../../src/bundle/index.ts';
import { Annotation, MediaType } from '../../src/oci/constants.ts';
import { releaseBlobs } from '../../src/release/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { makeBundleFixture, tarEntries, verifyBundle, type BundleFixture } from './fixture.ts';

let fx: BundleFixture;

before(async () => {
  fx = await makeBundleFixture('skbun');
});

after(async () => {
  await fx?.vendor.cleanup();
});

test('a full bundle is byte-identical when written twice, and laid out trust first, then an OCI layout', async () => {
  const a = await fx.write('a.skiff', fx.v2);
  const b = await fx.write('b.skiff', fx.v2);
  const [bytesA, bytesB] = await Promise.all([readFile(a.file), readFile(b.file)]);
  assert.ok(bytesA.equals(bytesB), 'same release, same bytes');
  assert.deepEqual(a.index, b.index);

  const names = tarEntries(bytesA).map((e) => e.name);
  assert.deepEqual(names.slice(0, 10), [
    'skiff/',
    'skiff/trust/',
    'skiff/trust/root.1.json',
    'skiff/release.json',
    'skiff/release.sig',
    'skiff/bundle.json',
    'oci-layout',
    'index.json',
    'blobs/',
    'blobs/sha256/',
  ]);
  const blobs = await releaseBlobs(fx.vendor.store, fx.v2.manifest);
  assert.deepEqual(names.slice(10), [
    ...blobs.map((x) => `blobs/sha256/${x.digest.slice(7)}`),
    // Last, for `docker load -i BUNDLE`: every image whose blobs are all here.
    'manifest.json',
  ]);
  assert.equal(a.index.omittedBytes, 0);
  assert.equal(
    a.index.includedBytes,
    blobs.reduce((n, x) => n + x.size, 0),
  );

  const entries = tarEntries(bytesA);
  const loadEntry = entries.find((e) => e.name === 'manifest.json');
  assert.ok(loadEntry);
  const load = JSON.parse(bytesA.subarray(loadEntry.data, loadEntry.data + loadEntry.size).toString('utf8')) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  assert.deepEqual(
    load.map((l) => l.RepoTags),
    Object.keys(fx.v2.manifest.images).sort().map((service) => [fx.v2.manifest.images[service]?.ref]),
    'docker load tags each image with its reference',
  );
  for (const l of load) for (const p of [l.Config, ...l.Layers]) assert.ok(names.includes(p), `${p} is in the bundle`);
  const indexEntry = entries.find((e) => e.name === 'index.json');
  assert.ok(indexEntry);
  const oci = JSON.parse(
    bytesA.subarray(indexEntry.data, indexEntry.data + indexEntry.size).toString('utf8'),
  ) as {
    manifests: { digest: string; mediaType: string; annotations: Record<string, string> }[];
  };
  assert.deepEqual(
    oci.manifests.map((m) => [m.annotations[Annotation.refName], m.digest, m.mediaType]),
    [
      ['web', fx.v2.manifest.images['web']?.manifestDigest, MediaType.ociManifest],
      ['worker', fx.v2.manifest.images['worker']?.manifestDigest, MediaType.ociManifest],
    ],
  );
});

test('a delta bundle omits every blob the base release has', async () => {
  const full = await fx.write('full.skiff', fx.v2);
  const delta = await fx.write('delta.skiff', fx.v2, fx.v1);
  const baseBlobs = new Set((await releaseBlobs(fx.vendor.store, fx.v1.manifest)).map((x) => x.digest));
  const all = await releaseBlobs(fx.vendor.store, fx.v2.manifest);
  const omitted = all.filter((x) => baseBlobs.has(x.digest));
  const included = all.filter((x) => !baseBlobs.has(x.digest));

  assert.deepEqual(delta.index.base, { version: '1.0.0', releaseDigest: fx.v1.digest });
  assert.deepEqual(
    delta.index.blobs.filter((x) => !x.included).map((x) => x.digest),
    omitted.map((x) => x.digest),
  );
  assert.equal(
    delta.index.omittedBytes,
    omitted.reduce((n, x) => n + x.size, 0),
  );
  assert.equal(
    delta.index.includedBytes,
    included.reduce((n, x) => n + x.size, 0),
  );
  assert.equal(included.length, 5, "web's manifest, config and top layer, the release's own SBOM and the top layer's content index");

  const names = tarEntries(await readFile(delta.file)).map((e) => e.name);
  for (const x of omitted)
    assert.ok(!names.includes(`blobs/sha256/${x.digest.slice(7)}`), `${x.digest} is omitted`);
  for (const x of included)
    assert.ok(names.includes(`blobs/sha256/${x.digest.slice(7)}`), `${x.digest} is included`);

  const [fullSize, deltaSize] = [(await stat(full.file)).size, (await stat(delta.file)).size];
  assert.ok(
    fullSize - deltaSize >= delta.index.omittedBytes,
    `the delta (${deltaSize} B) is smaller than the full bundle (${fullSize} B) by the omitted bytes`,
  );
  assert.ok(deltaSize < 64 * 1024, 'the busybox base layer is not carried');
});

test('inspect reads app, version, base, images and blobs from the start of the file', async () => {
  const { file, index } = await fx.write('inspect.skiff', fx.v2, fx.v1);
  const s = await inspectBundle(file);
  assert.equal(s.fileSize, (await stat(file)).size);
  assert.equal(s.roots, 1);
  assert.equal(s.index.app, fx.vendor.app);
  assert.equal(s.index.version, '2.0.0');
  assert.equal(s.index.base?.version, '1.0.0');
  assert.deepEqual(s.index, index);
  assert.equal(s.release.images['web']?.manifestDigest, fx.v2.manifest.images['web']?.manifestDigest);
  assert.deepEqual(s.release.images['web']?.platform, { os: 'linux', architecture: 'amd64' });
});

test('verify accepts a full bundle, checking every blob', async () => {
  const { file, index } = await fx.write('verify-full.skiff', fx.v2);
  const c = await verifyBundle(file, fx.vendor.rootJson);
  assert.equal(c.release.version, '2.0.0');
  assert.deepEqual(
    [...c.received],
    index.blobs.map((x) => x.digest),
  );
  assert.deepEqual(c.missing, []);
});

test('verify of a delta reports the base blobs it cannot see, and refuses without them unless asked', async () => {
  const { file, index } = await fx.write('verify-delta.skiff', fx.v2, fx.v1);
  const c = await verifyBundle(file, fx.vendor.rootJson, { allowMissing: true });
  assert.deepEqual(
    [...c.received],
    index.blobs.filter((x) => x.included).map((x) => x.digest),
  );
  // What the delta's own manifests reach and it omits: worker's manifest, the shared base layer, and the content
  // indexes of the layers the base has.
  const omitted = index.blobs.filter((x) => !x.included);
  const expected = omitted.filter(
    (x) =>
      x.digest === fx.v2.manifest.images['worker']?.manifestDigest ||
      (x.kind === 'layer' && x.size > 100_000) ||
      x.kind === 'index',
  );
  assert.deepEqual(c.missing.map((x) => x.digest).sort(), expected.map((x) => x.digest).sort());
  assert.equal(c.missing.length, 4);

  await assert.rejects(
    verifyBundle(file, fx.vendor.rootJson),
    (e: unknown) => isSkiffError(e, 'BASE_MISSING') && /needs .*@1\.0\.0 installed first/.test(e.message),
  );
  const withBase = await verifyBundle(file, fx.vendor.rootJson, { store: fx.vendor.store });
  assert.deepEqual(withBase.missing, []);
});
