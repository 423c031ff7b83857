// Go binaries in a layer: their build info (Go 1.18+ inline format) lists the main module, deps (replacements applied)
// and the stdlib as pkg:golang components, which `release scan` matches against OSV's Go ecosystem. The `go` toolchain
// is not installed here, so the module-mode binary is made by hand: an ELF header, filler, and the build-info blob as Go
// lays it out; the docker CLI (a real Go binary, built without modules) checks the format against the real thing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { MediaType } from '../../src/oci/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { GoBuildInfoScanner, findGoBuildInfo } from '../../src/sbom/go-buildinfo.ts';
import { catalogImage, cyclonedxDocument, imageCatalogFiles, purlOf, sbomPackages, type LayerRef } from '../../src/sbom/index.ts';
import { loadOsvDatabase, scanPackages } from '../../src/scan/index.ts';
import { makeTar, type TarEntry } from '../helpers/engine.ts';

let dir: string;
let store: FsBlobStore;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-gobin-'));
  store = new FsBlobStore(dir);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function uvarint(n: number): Buffer {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}
const varString = (s: Buffer): Buffer => Buffer.concat([uvarint(s.length), s]);

// runtime/debug's modinfo sentinels.
const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');
const MODINFO = [
  'path\texample.com/skiff/agentd',
  'mod\texample.com/skiff/agentd\t(devel)\t',
  'dep\tgithub.com/google/uuid\tv1.6.0\th1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=',
  'dep\tgolang.org/x/net\tv0.17.0\th1:pVaXccu2ozPjCXewfr1S2xzakpDnLbuiH5wa1yRs00g=',
  '=>\tgolang.org/x/net\tv0.23.0\th1:7EYJ93RZ9vYSZAIb2x3lnuvqO5zneoD6IvWjuhfxjTs=',
  'dep\tgithub.com/example/local\tv1.0.0\t',
  '=>\t../local\t',
  'build\t-compiler=gc',
  'build\tGOOS=linux',
  '',
].join('\n');

/** An ELF file (header only, then filler) with Go's build info 16-aligned past the first MiB, as in .go.buildinfo. */
function goBinary(goVersion = 'go1.22.3'): Buffer {
  const elf = Buffer.alloc(64);
  Buffer.from('\x7fELF\x02\x01\x01', 'latin1').copy(elf);
  const header = Buffer.alloc(32);
  Buffer.from('\xff Go buildinf:', 'latin1').copy(header);
  header[14] = 8; // pointer size
  header[15] = 0x2; // little-endian, strings inline
  const info = Buffer.concat([header, varString(Buffer.from(goVersion)), varString(Buffer.concat([INFO_START, Buffer.from(MODINFO), INFO_END]))]);
  const filler = Buffer.alloc((1 << 20) + 16 * 7 - 64, 0x90);
  return Buffer.concat([elf, filler, info, Buffer.alloc(4096)]);
}

async function layer(files: Record<string, Buffer>, gzip = true): Promise<LayerRef> {
  const entries = new Map<string, TarEntry>();
  for (const [p, content] of Object.entries(files)) entries.set(p, { type: 'file', mode: 0o755, content });
  const tar = await makeTar(entries);
  const stat = await store.put([gzip ? gzipSync(tar) : tar]);
  return { digest: stat.digest, mediaType: gzip ? MediaType.ociLayerGzip : MediaType.ociLayerTar };
}

test('a Go binary lists its deps (replacement applied), not the local-build main module, and the stdlib', async () => {
  const bin = goBinary();
  // The same bytes without the ELF magic: not a binary, not read for build info.
  const notElf = Buffer.from(bin);
  notElf[0] = 0;
  const l = await layer({ 'usr/local/bin/agentd': bin, 'srv/data/blob.bin': notElf, 'etc/os-release': Buffer.from('ID=debian\nVERSION_ID=12\n') });
  const files = await imageCatalogFiles(store, [l]);
  assert.ok((files.get('usr/local/bin/agentd')?.length ?? 0) < 1024, 'only the build-info blob is held, not the binary');
  const catalog = catalogImage(files);
  const purls = catalog.packages.map((p) => `${purlOf(p, catalog.distro)} ${p.path}`).sort();
  assert.deepEqual(purls, [
    'pkg:golang/github.com/example/local@v1.0.0 usr/local/bin/agentd',
    'pkg:golang/github.com/google/uuid@v1.6.0 usr/local/bin/agentd',
    'pkg:golang/golang.org/x/net@v0.23.0 usr/local/bin/agentd',
    'pkg:golang/stdlib@1.22.3 usr/local/bin/agentd',
  ]);

  // A later layer that deletes the binary hides its modules.
  const upper = await layer({ 'usr/local/bin/.wh.agentd': Buffer.alloc(0) });
  assert.deepEqual(catalogImage(await imageCatalogFiles(store, [l, upper])).packages, []);
});

test('the build info is found across any chunking, and a stray magic (as in a binary that reads build info) is passed over', () => {
  const bin = goBinary();
  const whole = findGoBuildInfo(bin);
  assert.ok(whole);
  // The magic as a string constant in rodata: unaligned, or aligned but not followed by a header as the linker writes it.
  const decoys = Buffer.concat([Buffer.from('\xff Go buildinf:\x08\x02\x05hello', 'latin1'), Buffer.alloc(2), Buffer.from('\xff Go buildinf:\x08\x02\x01\x07\x05hello', 'latin1')]);
  const withDecoys = Buffer.from(bin);
  decoys.copy(withDecoys, 1024 + 3);
  decoys.copy(withDecoys, 4096);
  for (const file of [bin, withDecoys])
    for (const size of [7, 13, 14, 15, 64 << 10]) {
      const scanner = new GoBuildInfoScanner();
      for (let at = 0; at < file.length; at += size) scanner.push(file.subarray(at, at + size));
      assert.deepEqual(scanner.found, whole, `chunks of ${size}`);
    }
  assert.equal(findGoBuildInfo(Buffer.concat([Buffer.alloc(16), decoys])), undefined);
});

test('Go modules in the SBOM are scanned against OSV Go advisories by semver', async () => {
  const l = await layer({ 'app/server': goBinary('go1.21.4 X:boringcrypto') });
  const catalog = catalogImage(await imageCatalogFiles(store, [l]));
  const sbom = cyclonedxDocument({ app: 'acme', version: '1.0.0', tool: { name: 'skiff', version: 'test' } }, [
    { service: 'server', ref: 'acme/server:1.0.0', manifestDigest: `sha256:${'a'.repeat(64)}`, catalog },
  ]);
  const packages = sbomPackages(sbom);
  assert.deepEqual(packages.filter((p) => p.ecosystem === 'Go').map((p) => p.name).sort(), ['github.com/example/local', 'github.com/google/uuid', 'golang.org/x/net', 'stdlib']);
  const osv = path.join(dir, 'osv-go');
  await mkdir(osv, { recursive: true });
  const range = (fixed: string) => [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }];
  await writeFile(path.join(osv, 'GO-1.json'), JSON.stringify({ id: 'GO-1', affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: range('0.23.0') }] }));
  await writeFile(path.join(osv, 'GO-2.json'), JSON.stringify({ id: 'GO-2', affected: [{ package: { ecosystem: 'Go', name: 'github.com/google/uuid' }, ranges: range('1.10.0') }] }));
  await writeFile(path.join(osv, 'GO-3.json'), JSON.stringify({ id: 'GO-3', affected: [{ package: { ecosystem: 'Go', name: 'stdlib' }, ranges: range('1.21.5') }] }));
  const findings = scanPackages(packages, await loadOsvDatabase(osv));
  // x/net is replaced by the fixed v0.23.0; uuid v1.6.0 < 1.10.0 (semver, not string order); stdlib 1.21.4 < 1.21.5.
  assert.deepEqual(findings.map((f) => `${f.id} ${f.package.name}@${f.package.version} fixed ${f.fixed ?? '-'}`).sort(), [
    'GO-2 github.com/google/uuid@v1.6.0 fixed 1.10.0',
    'GO-3 stdlib@1.21.4 fixed 1.21.5',
  ]);
});

test('a real Go binary in a layer: the docker CLI lists the stdlib at the Go version it reports', async () => {
  const docker = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
  const goVersion = execFileSync('docker', ['version', '--format', '{{.Client.GoVersion}}'], { encoding: 'utf8' }).trim();
  const l = await layer({ 'usr/local/bin/docker': await readFile(docker) }, false);
  const catalog = catalogImage(await imageCatalogFiles(store, [l]));
  assert.deepEqual(
    catalog.packages.map((p) => purlOf(p, catalog.distro)),
    [`pkg:golang/stdlib@${goVersion.replace(/^go/, '')}`],
  );
});
