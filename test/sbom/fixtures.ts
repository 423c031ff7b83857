// Package-database files for SBOM tests: a Debian status with one package removed, a DEP-5 copyright, an npm tree
// (scoped, nested, a non-package package.json), a Python dist-info, an apk db.
export const OS_RELEASE_DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';

export const DPKG_STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries.

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib (1:1.2.13.dfsg-1)
Version: 1:1.2.13.dfsg-1

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
`;

export const LIBC_COPYRIGHT = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: glibc

Files: *
Copyright: 1991-2023 Free Software Foundation, Inc.
License: LGPL-2.1+

Files: debian/*
Copyright: Debian
License: GPL-2+
`;

export const PYTHON_METADATA = `Metadata-Version: 2.1
Name: requests
Version: 2.31.0
Summary: Python HTTP for Humans.
License: Apache 2.0
Classifier: Development Status :: 5 - Production/Stable
Classifier: License :: OSI Approved :: Apache Software License

Requests is an HTTP library.
`;

export const APK_INSTALLED = `C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
L:MIT
o:musl

P:busybox
V:1.36.1-r5
A:x86_64
L:GPL-2.0-only
o:busybox
`;

const pkg = (name: string, version: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ name, version, ...extra });

/** A node_modules tree under `root`: express (MIT), @acme/tool (license object), a nested debug, a lib/package.json that is no package. */
export function npmTree(root: string, expressVersion = '4.18.2'): Record<string, string> {
  return {
    [`${root}/node_modules/express/package.json`]: pkg('express', expressVersion, { license: 'MIT' }),
    [`${root}/node_modules/express/lib/package.json`]: JSON.stringify({ type: 'commonjs' }),
    [`${root}/node_modules/express/node_modules/debug/package.json`]: pkg('debug', '2.6.9', { license: 'MIT' }),
    [`${root}/node_modules/@acme/tool/package.json`]: pkg('@acme/tool', '1.0.0', { license: { type: 'ISC' } }),
    [`${root}/node_modules/.package-lock.json`]: '{}',
  };
}
