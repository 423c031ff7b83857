// The SBOM's layer reader and catalog on hand-made layers in a real store: whiteouts and opaque directories hide
// lower layers' packages, later layers replace databases, and each package database is read as its tool writes it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { MediaType } from '../../src/oci/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { catalogImage, imageCatalogFiles, purlOf, type LayerRef } from '../../src/sbom/index.ts';
import { makeTar, type TarEntry } from '../helpers/engine.ts';
import { APK_INSTALLED, DPKG_STATUS, LIBC_COPYRIGHT, OS_RELEASE_DEBIAN, PYTHON_METADATA, npmTree } from './fixtures.ts';

let dir: string;
let store: FsBlobStore;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-sbom-'));
  store = new FsBlobStore(dir);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function layer(files: Record<string, string>, opts: { gzip?: boolean; prefix?: string } = {}): Promise<LayerRef> {
  const entries = new Map<string, TarEntry>();
  for (const [p, content] of Object.entries(files)) entries.set(`${opts.prefix ?? ''}${p}`, { type: 'file', mode: 0o644, content: Buffer.from(content) });
  const tar = await makeTar(entries);
  const gzip = opts.gzip ?? true;
  const stat = await store.put([gzip ? gzipSync(tar) : tar]);
  return { digest: stat.digest, mediaType: gzip ? MediaType.ociLayerGzip : MediaType.ociLayerTar };
}

test('a Debian image: installed packages with their source package and DEP-5 license, config-files leftovers skipped', async () => {
  const base = await layer({ 'etc/os-release': OS_RELEASE_DEBIAN, 'var/lib/dpkg/status': DPKG_STATUS, 'usr/share/doc/libc6/copyright': LIBC_COPYRIGHT }, { prefix: './' });
  const catalog = catalogImage(await imageCatalogFiles(store, [base]));
  assert.deepEqual(catalog.distro, { id: 'debian', versionId: '12' });
  const byName = new Map(catalog.packages.map((p) => [p.name, p]));
  assert.deepEqual([...byName.keys()].sort(), ['libc6', 'zlib1g']);
  assert.deepEqual(byName.get('libc6')?.source, { name: 'glibc', version: '2.36-9+deb12u4' });
  assert.deepEqual(byName.get('libc6')?.licenses, ['LGPL-2.1+', 'GPL-2+']);
  assert.deepEqual(byName.get('zlib1g')?.source, { name: 'zlib', version: '1:1.2.13.dfsg-1' });
  assert.equal(purlOf(byName.get('zlib1g')!, catalog.distro), 'pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12');
});

test('npm, Python and Alpine databases; a package.json that is not a package is not listed', async () => {
  const l = await layer({
    ...npmTree('srv/app'),
    'usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA': PYTHON_METADATA,
    'lib/apk/db/installed': APK_INSTALLED,
    'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.1\n',
  }, { gzip: false });
  const catalog = catalogImage(await imageCatalogFiles(store, [l]));
  const got = catalog.packages.map((p) => `${p.type} ${p.name}@${p.version} [${p.licenses.join(',')}]`).sort();
  assert.deepEqual(got, [
    'apk busybox@1.36.1-r5 [GPL-2.0-only]',
    'apk musl@1.2.4-r2 [MIT]',
    'npm @acme/tool@1.0.0 [ISC]',
    'npm debug@2.6.9 [MIT]',
    'npm express@4.18.2 [MIT]',
    'pypi requests@2.31.0 [Apache Software License]',
  ]);
  const tool = catalog.packages.find((p) => p.name === '@acme/tool')!;
  assert.equal(purlOf(tool, catalog.distro), 'pkg:npm/%40acme/tool@1.0.0');
});

test('whiteouts: a file deleted, a directory deleted and an opaque directory in a later layer hide the lower packages', async () => {
  const lower = await layer({ ...npmTree('srv/app'), ...npmTree('opt/other'), 'var/lib/dpkg/status': DPKG_STATUS, 'var/lib/dpkg/status.d/tzdata': 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n' });
  const upper = await layer({
    'srv/app/node_modules/express/node_modules/.wh.debug': '',
    'srv/app/node_modules/@acme/.wh..wh..opq': '',
    'opt/.wh.other': '',
    'var/lib/dpkg/status.d/.wh.tzdata': '',
    'var/lib/dpkg/status': 'Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u7\nSource: glibc\n',
  });
  const before = catalogImage(await imageCatalogFiles(store, [lower]));
  assert.deepEqual(before.packages.map((p) => p.name).sort(), ['@acme/tool', '@acme/tool', 'debug', 'debug', 'express', 'express', 'libc6', 'tzdata', 'zlib1g'].sort());
  const after = catalogImage(await imageCatalogFiles(store, [lower, upper]));
  assert.deepEqual(after.packages.map((p) => `${p.name}@${p.version}`).sort(), ['express@4.18.2', 'libc6@2.36-9+deb12u7']);
});

test('an opaque directory keeps what its own layer puts there', async () => {
  const lower = await layer(npmTree('srv/app', '4.18.2'));
  const upper = await layer({ 'srv/app/node_modules/.wh..wh..opq': '', 'srv/app/node_modules/express/package.json': JSON.stringify({ name: 'express', version: '4.21.2' }) });
  const catalog = catalogImage(await imageCatalogFiles(store, [lower, upper]));
  assert.deepEqual(catalog.packages.map((p) => `${p.name}@${p.version}`), ['express@4.21.2']);
});
