// A release whose images hold package databases (for SBOM, scan and gate tests): service `base` (a Debian-like busybox
// with dpkg status, copyright, Python and npm packages) and service `app` on top of it (zlib1g upgraded, newer express).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { createRelease, type StoredRelease } from '../../src/release/index.ts';
import { buildBusyboxImage, buildLayeredImage } from '../helpers/engine.ts';
import type { Vendor } from '../helpers/vendor.ts';
import { DPKG_STATUS, LIBC_COPYRIGHT, OS_RELEASE_DEBIAN, PYTHON_METADATA, npmTree } from './fixtures.ts';

export interface PackageRelease {
  readonly release: StoredRelease;
  readonly compose: string;
  /** Removes the images it built. */
  cleanup(): Promise<void>;
}

export async function makePackageRelease(vendor: Vendor, version: string): Promise<PackageRelease> {
  const base = `skiff-test/${vendor.app}-pkgbase:1`;
  const app = `skiff-test/${vendor.app}-pkgapp:1`;
  await buildBusyboxImage(vendor.engine, base, {
    files: {
      '/etc/os-release': OS_RELEASE_DEBIAN,
      '/var/lib/dpkg/status': DPKG_STATUS,
      '/usr/share/doc/libc6/copyright': LIBC_COPYRIGHT,
      '/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA': PYTHON_METADATA,
      ...npmTree('/srv/base'),
    },
  });
  await buildLayeredImage(vendor.engine, app, base, {
    '/var/lib/dpkg/status': DPKG_STATUS.replace(/1:1\.2\.13\.dfsg-1/g, '1:1.2.13.dfsg-1+deb12u1'),
    ...npmTree('/srv/app', '4.21.2'),
  });
  const compose = path.join(vendor.dir, `pkg-compose-${version}.yaml`);
  await writeFile(compose, stringify({ services: { base: { image: base }, app: { image: app } } }));
  const { release } = await createRelease({ composeFile: compose, app: vendor.app, version, trustDir: vendor.trustDir, store: vendor.store, engine: vendor.engine });
  return {
    release,
    compose,
    async cleanup() {
      for (const t of [app, base]) await vendor.engine.imageRemove(t, { force: true }).catch(() => undefined);
    },
  };
}
