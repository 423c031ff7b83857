// Builds a tiny, real, runnable OCI image (busybox-static) into a blob store, byte-for-byte deterministic.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { pack as tarPack, type Header as TarHeader } from 'tar-stream';
import { MediaType } from '../../src/oci/constants.ts';
import { sha256, type Digest } from '../../src/oci/digest.ts';
import type { BlobStore } from '../../src/store/index.ts';

const BUSYBOX = '/usr/bin/busybox';
const MTIME = new Date('2020-01-01T00:00:00Z');
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const OCI_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export interface TinyImage {
  readonly manifestDigest: Digest;
  readonly configDigest: Digest;
  readonly layers: Digest[];
  readonly mediaType: string;
  /** The exact manifest bytes stored. */
  readonly manifest: Buffer;
}

export function ociArch(arch: string = process.arch): string {
  return OCI_ARCH[arch] ?? arch;
}

/** A layer tar: /bin/busybox, /bin/sh → busybox, and `files` (path → content, parents created). */
async function layerTar(files: Record<string, string>): Promise<Buffer> {
  const pack = tarPack();
  const base = { mtime: MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  const dirs = new Set<string>(['bin']);
  for (const path of Object.keys(files)) {
    const parts = path.replace(/^\/+/, '').split('/').slice(0, -1);
    parts.forEach((_, i) => dirs.add(parts.slice(0, i + 1).join('/')));
  }
  const entries: [Partial<TarHeader> & { name: string }, Buffer?][] = [...dirs].sort().map((d) => [{ ...base, name: `${d}/`, type: 'directory', mode: 0o755 }]);
  entries.push([{ ...base, name: 'bin/busybox', mode: 0o755 }, await readFile(BUSYBOX)]);
  entries.push([{ ...base, name: 'bin/sh', type: 'symlink', linkname: 'busybox', mode: 0o777 }]);
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b)))
    entries.push([{ ...base, name: path.replace(/^\/+/, ''), mode: 0o644 }, Buffer.from(content)]);
  const done = buffer(pack);
  for (const [header, body] of entries) {
    if (body) pack.entry(header, body);
    else pack.entry(header);
  }
  pack.finalize();
  return done;
}

async function putJson(store: BlobStore, value: unknown): Promise<{ digest: Digest; bytes: Buffer }> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = sha256(bytes);
  await store.put(Readable.from([bytes]), { digest, size: bytes.length });
  return { digest, bytes };
}

export async function makeTinyImage(store: BlobStore, opts: { files?: Record<string, string>; cmd?: string[] } = {}): Promise<TinyImage> {
  const tar = await layerTar(opts.files ?? {});
  const layer = gzipSync(tar, { level: 9 });
  const layerDigest = sha256(layer);
  await store.put(Readable.from([layer]), { digest: layerDigest, size: layer.length });
  const config = await putJson(store, {
    created: MTIME.toISOString(),
    architecture: ociArch(),
    os: 'linux',
    config: { Env: [PATH_ENV], Cmd: opts.cmd ?? ['sh'] },
    rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
  });
  const manifest = await putJson(store, {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.bytes.length },
    layers: [{ mediaType: MediaType.ociLayerGzip, digest: layerDigest, size: layer.length }],
  });
  return { manifestDigest: manifest.digest, configDigest: config.digest, layers: [layerDigest], mediaType: MediaType.ociManifest, manifest: manifest.bytes };
}
