// Bundle test fixture: a vendor with releases 1.0.0 and 2.0.0 (web changed), bundle writing and reading, tar offsets.
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  VerifyOnlySink,
  readBundle,
  trustVerifier,
  writeBundle,
  type BundleContents,
  type BundleIndex,
} from '../../src/bundle/index.ts';
import { loadChain, type StoredRelease } from '../../src/release/index.ts';
import type { FsBlobStore } from '../../src/store/index.ts';
import { parseRoot } from '../../src/trust/index.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

export interface BundleFixture {
  readonly vendor: Vendor;
  readonly v1: StoredRelease;
  readonly v2: StoredRelease;
  /** Writes a bundle of `release` (delta from `base` when given) to a file in the vendor dir. */
  write(
    name: string,
    release: StoredRelease,
    base?: StoredRelease,
    override?: { chain?: readonly Uint8Array[] },
  ): Promise<{ file: string; index: BundleIndex }>;
}

export async function makeBundleFixture(prefix: string): Promise<BundleFixture> {
  const vendor = await makeVendor(prefix);
  const v1 = await vendor.createVersion('1.0.0');
  const v2 = await vendor.createVersion('2.0.0');
  return {
    vendor,
    v1,
    v2,
    async write(name, release, base, override = {}) {
      const file = path.join(vendor.dir, name);
      const chain = override.chain ?? (await loadChain(vendor.store, vendor.app));
      const index = await writeBundle(
        { blobs: vendor.store, release, chain, ...(base ? { base } : {}) },
        createWriteStream(file),
      );
      return { file, index };
    },
  };
}

/** Verifies a bundle (file or bytes) as `bundle verify` does, trusting `rootJson`. */
export async function verifyBundle(
  source: string | Buffer | Readable,
  rootJson: string,
  opts: { allowMissing?: boolean; store?: FsBlobStore } = {},
): Promise<BundleContents> {
  const root = parseRoot(await readFile(rootJson));
  const stream =
    typeof source === 'string' ? createReadStream(source) : Buffer.isBuffer(source) ? Readable.from([source]) : source;
  return readBundle(stream, {
    verify: trustVerifier(root),
    sink: new VerifyOnlySink(opts.store),
    allowMissing: opts.allowMissing ?? false,
  });
}

export interface TarEntryAt {
  readonly name: string;
  /** Offset of the header block. */
  readonly header: number;
  /** Offset of the first data byte. */
  readonly data: number;
  readonly size: number;
}

/** The entries of a (ustar, short-named) tar with their offsets, to tamper with bytes in place. */
export function tarEntries(tar: Buffer): TarEntryAt[] {
  const out: TarEntryAt[] = [];
  let off = 0;
  while (off + 512 <= tar.length && tar[off] !== 0) {
    const field = (start: number, len: number): string =>
      tar
        .subarray(off + start, off + start + len)
        .toString('latin1')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    out.push({ name, header: off, data: off + 512, size });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export function entryAt(tar: Buffer, name: string | ((n: string) => boolean)): TarEntryAt {
  const e = tarEntries(tar).find((x) => (typeof name === 'string' ? x.name === name : name(x.name)));
  if (!e) throw new Error(`no entry ${String(name)} in the tar`);
  return e;
}

/** A ustar header block for a crafted tar: `type` '0' file, '5' directory, 'x' pax header… */
export function tarHeader(name: string, size: number, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write('00000000000\0', 136, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(' ', 148, 156);
  h.write(`${h.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A tar entry (header and padded data) for a crafted tar. */
export function tarEntry(name: string, data: Buffer): Buffer {
  return Buffer.concat([tarHeader(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** The bundle re-packed entry by entry; `edit` may return new data for an entry (its header size follows). */
export async function repackBundle(bytes: Buffer, edit: (name: string, data: Buffer) => Buffer | undefined): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const e of tarEntries(bytes)) {
    const data = bytes.subarray(e.data, e.data + e.size);
    const edited = edit(e.name, data);
    if (edited === undefined) parts.push(bytes.subarray(e.header, e.data + Math.ceil(e.size / 512) * 512));
    else {
      const header = Buffer.from(bytes.subarray(e.header, e.header + 512));
      header.write(`${edited.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
      header.fill(' ', 148, 156);
      header.write(`${header.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
      parts.push(header, edited, Buffer.alloc((512 - (edited.length % 512)) % 512));
    }
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

/** The bundle with skiff/bundle.json rewritten by `edit` (the signed entries untouched). */
export function editBundleJson(bytes: Buffer, edit: (index: BundleIndex) => BundleIndex): Promise<Buffer> {
  return repackBundle(bytes, (name, data) =>
    name === 'skiff/bundle.json' ? Buffer.from(JSON.stringify(edit(JSON.parse(data.toString('utf8')) as BundleIndex), null, 2)) : undefined,
  );
}
