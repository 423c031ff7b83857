// Every release carries a signed SBOM: built at release create from real engine images (busybox plus package
// databases), stored as a blob the signed manifest names, reproducible, carried and verified in bundles, printed by the CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { MediaType, sha256 } from '../../src/oci/index.ts';
import { AGENT_VERSION, createRelease, releaseBytes, releaseDigest, releaseSbom, type StoredRelease } from '../../src/release/index.ts';
import { storeSbom } from '../../src/release/sbom.ts';
import { buildSbom, sbomPackages } from '../../src/sbom/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import type { Vendor } from '../helpers/vendor.ts';
import { entryAt, makeBundleFixture, verifyBundle, type BundleFixture } from '../bundle/fixture.ts';
import { makePackageRelease, type PackageRelease } from './package-release.ts';

const BIN = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));

let vendor: Vendor;
let fixture: BundleFixture;
let release: StoredRelease;
let compose: string;
let pkg: PackageRelease | undefined;

function skiff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000, env: { ...process.env, SKIFF_DEBUG: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  fixture = await makeBundleFixture('sksbom');
  vendor = fixture.vendor;
  pkg = await makePackageRelease(vendor, '3.0.0');
  ({ release, compose } = pkg);
});

after(async () => {
  await pkg?.cleanup();
  await vendor?.cleanup();
});

test('release create stores a gzip-compressed CycloneDX SBOM as a blob the signed manifest names by digest and size', async () => {
  const [ref, ...more] = release.manifest.sbom;
  assert.ok(ref);
  assert.equal(more.length, 0);
  assert.equal(ref.mediaType, MediaType.cyclonedxJsonGzip);
  const stored = await buffer(await vendor.store.get(ref.digest));
  assert.equal(sha256(stored), ref.digest);
  assert.equal(stored.length, ref.size);
  const bytes = await releaseSbom(vendor.store, release);
  assert.deepEqual(bytes, gunzipSync(stored));
  assert.ok(stored.length * 3 < bytes.length, `compressed ${stored.length} of ${bytes.length} bytes`);
  const doc = JSON.parse(bytes.toString('utf8')) as { bomFormat: string; specVersion: string; serialNumber: string; metadata: { component: { name: string; version: string } } };
  assert.equal(doc.bomFormat, 'CycloneDX');
  assert.equal(doc.specVersion, '1.5');
  assert.match(doc.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(doc.metadata.component, { type: 'application', 'bom-ref': 'release', name: vendor.app, version: '3.0.0' });
});

test("the SBOM lists each image's final packages, per service, with licenses and the Debian source package", async () => {
  const packages = sbomPackages(await releaseSbom(vendor.store, release));
  const rows = packages.map((p) => `${p.ecosystem} ${p.name}@${p.version} ${p.services.join(',')}`).sort();
  assert.deepEqual(rows, [
    'Debian:12 libc6@2.36-9+deb12u4 app,base',
    'Debian:12 zlib1g@1:1.2.13.dfsg-1 base',
    'Debian:12 zlib1g@1:1.2.13.dfsg-1+deb12u1 app',
    'PyPI requests@2.31.0 app,base',
    'npm @acme/tool@1.0.0 app,base',
    'npm debug@2.6.9 app,base',
    'npm express@4.18.2 app,base',
    'npm express@4.21.2 app',
  ]);
  const libc = packages.find((p) => p.name === 'libc6');
  assert.deepEqual(libc?.source, { name: 'glibc', version: '2.36-9+deb12u4' });
  assert.deepEqual(libc?.licenses, ['LGPL-2.1+', 'GPL-2+']);
  assert.deepEqual(packages.find((p) => p.name === 'express' && p.version === '4.21.2')?.licenses, ['MIT']);
});

test('the SBOM is reproducible: creating the same release again finds it identical', async () => {
  const again = await createRelease({ composeFile: compose, app: vendor.app, version: '3.0.0', trustDir: vendor.trustDir, store: vendor.store, engine: vendor.engine });
  assert.equal(again.created, false);
  assert.equal(again.release.digest, release.digest);
  // Built from the engine's export while the layers were compressed: the same document the layer blobs give.
  const fromBlobs = await buildSbom(vendor.store, { app: vendor.app, version: '3.0.0', tool: { name: 'skiff', version: AGENT_VERSION } }, release.manifest.images);
  assert.equal(fromBlobs.toString('utf8'), (await releaseSbom(vendor.store, release)).toString('utf8'));
});

test('a bundle carries the SBOM as a verified blob; a tampered SBOM is refused', async () => {
  const { file, index } = await fixture.write('sbom.skiff', release);
  const ref = release.manifest.sbom[0]!;
  assert.deepEqual(index.blobs.filter((b) => b.kind === 'sbom').map((b) => b.digest), [ref.digest]);
  const contents = await verifyBundle(file, vendor.rootJson);
  assert.ok(contents.received.includes(ref.digest));
  const bytes = await readFile(file);
  const at = entryAt(bytes, `blobs/sha256/${ref.digest.slice(7)}`);
  bytes[at.data + 10] = (bytes[at.data + 10] ?? 0) ^ 0x01;
  await assert.rejects(verifyBundle(bytes, vendor.rootJson), (e: unknown) => isSkiffError(e, 'DIGEST_MISMATCH'));
});

test('skiff release sbom prints the signed document, or a table; release show names it', async () => {
  const ref = `${vendor.app}@3.0.0`;
  const json = await skiff('release', 'sbom', ref, '--store', vendor.storeDir);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(Buffer.from(json.stdout), await releaseSbom(vendor.store, release));
  const table = await skiff('release', 'sbom', ref, '--store', vendor.storeDir, '--format', 'table');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^Debian:12\s+libc6\s+2\.36-9\+deb12u4\s+LGPL-2\.1\+, GPL-2\+\s+app,base$/m);
  assert.match(table.stdout, /^8 packages$/m);
  const show = await skiff('release', 'show', ref, '--store', vendor.storeDir);
  assert.match(show.stdout, new RegExp(`^sbom: ${release.manifest.sbom[0]?.digest} \\(application/vnd\\.cyclonedx\\+json`, 'm'));
  const bad = await skiff('release', 'sbom', ref, '--store', vendor.storeDir, '--format', 'xml');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^skiff: .*xml.*\n$/);
});

test('the release signature covers the SBOM: a bundle whose release names another SBOM is refused', async () => {
  const other = await vendor.store.put([Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}')]);
  const manifest = { ...release.manifest, sbom: [{ mediaType: MediaType.cyclonedxJson, digest: other.digest, size: other.size }] };
  const bytes = releaseBytes(manifest);
  const forged: StoredRelease = { manifest, bytes, sig: release.sig, digest: releaseDigest(bytes) };
  const { file } = await fixture.write('forged-sbom.skiff', forged);
  await assert.rejects(verifyBundle(file, vendor.rootJson), (e: unknown) => isSkiffError(e, 'SIGNATURE_INVALID'));
});

test('a release made before SBOMs were compressed still reads, and re-creating it keeps its plain SBOM blob', async () => {
  const json = await releaseSbom(vendor.store, release);
  const plain = await vendor.store.put([json]);
  const manifest = { ...release.manifest, sbom: [{ mediaType: MediaType.cyclonedxJson, digest: plain.digest, size: plain.size }] };
  const bytes = releaseBytes(manifest);
  const older: StoredRelease = { manifest, bytes, sig: release.sig, digest: releaseDigest(bytes) };
  assert.deepEqual(await releaseSbom(vendor.store, older), json);
  assert.deepEqual(await storeSbom(vendor.store, json, older), manifest.sbom[0]);
  // Other JSON (another build) is stored anew, compressed.
  const other = await storeSbom(vendor.store, Buffer.from('{"bomFormat":"CycloneDX"}'), older);
  assert.equal(other.mediaType, MediaType.cyclonedxJsonGzip);
});

test('a signed SBOM that does not inflate, or inflates past its limit, is refused in one line', async () => {
  const forge = async (blob: Buffer): Promise<StoredRelease> => {
    const put = await vendor.store.put([blob]);
    const manifest = { ...release.manifest, sbom: [{ mediaType: MediaType.cyclonedxJsonGzip, digest: put.digest, size: put.size }] };
    const bytes = releaseBytes(manifest);
    return { manifest, bytes, sig: release.sig, digest: releaseDigest(bytes) };
  };
  for (const blob of [Buffer.from('{"not":"gzip"}'), gzipSync(Buffer.alloc(257 << 20), { level: 1 })])
    await assert.rejects(releaseSbom(vendor.store, await forge(blob)), (e: unknown) => isSkiffError(e, 'RELEASE_INVALID') && !(e as Error).message.includes('\n') && /gzip stream of at most 256 MiB/.test((e as Error).message));
});

test('skiff release licenses groups the packages by stated license', async () => {
  const ref = `${vendor.app}@3.0.0`;
  const text = await skiff('release', 'licenses', ref, '--store', vendor.storeDir);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(
    text.stdout,
    [
      'MIT (3): debug@2.6.9, express@4.18.2, express@4.21.2',
      '(none stated) (2): zlib1g@1:1.2.13.dfsg-1+deb12u1, zlib1g@1:1.2.13.dfsg-1',
      'Apache Software License (1): requests@2.31.0',
      'GPL-2+ (1): libc6@2.36-9+deb12u4',
      'ISC (1): @acme/tool@1.0.0',
      'LGPL-2.1+ (1): libc6@2.36-9+deb12u4',
      '',
    ].join('\n'),
  );
});
