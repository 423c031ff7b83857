// Reads the .json entries of an OSV database .zip in-process (yauzl), one entry at a time and bounded: a limit on the
// entry count and on each entry's uncompressed size, and each entry's CRC checked, so a corrupt zip is a one-line error.
import { readFile, stat } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { SkiffError } from '../util/index.ts';

export interface ZipLimits {
  /** Entries in the zip (osv.dev's all.zip of every ecosystem holds a few hundred thousand). */
  readonly entries: number;
  /** Uncompressed bytes of one record (the largest real OSV records are a few hundred KiB). */
  readonly entryBytes: number;
  /**
   * A zip up to this size is read into memory with one read: read from the file, each of its tens of thousands of
   * small entries costs a few reads of its own (central directory, local header, data), which dominate a scan's time.
   */
  readonly bufferedBytes: number;
}

export const OSV_ZIP_LIMITS: ZipLimits = { entries: 2_000_000, entryBytes: 16 * 1024 * 1024, bufferedBytes: 256 * 1024 * 1024 };

async function openZip(file: string, bufferedBytes: number): Promise<yauzl.ZipFile> {
  if ((await stat(file)).size > bufferedBytes) return yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  return yauzl.fromBufferPromise(await readFile(file), { lazyEntries: true });
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
const unreadable = (file: string, why: string, cause?: unknown): SkiffError =>
  new SkiffError('INVALID_INPUT', `${file} is not a readable zip: ${why}; pass the zip osv.dev publishes (e.g. Debian/all.zip) or a directory of its records`, { cause });

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry): void => {
      done();
      resolve(entry);
    };
    const onEnd = (): void => {
      done();
      resolve(undefined);
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

async function entryBytes(zip: yauzl.ZipFile, entry: yauzl.Entry, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await zip.openReadStreamPromise(entry)) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`${entry.fileName} inflates past its declared size`);
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks, size);
  if (crc32(bytes) !== entry.crc32) throw new Error(`${entry.fileName} fails its CRC check`);
  return bytes;
}

/** Calls `onEntry` with each `.json` entry's name and bytes, in the zip's order; other entries are skipped. */
export async function readZipJsonEntries(file: string, onEntry: (name: string, bytes: Buffer) => void, limits: ZipLimits = OSV_ZIP_LIMITS): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(file, limits.bufferedBytes);
  } catch (e) {
    throw unreadable(file, firstLine(e), e);
  }
  // An error after we stop reading (the zip is closed in `finally`) must not become an unhandled 'error' event.
  zip.on('error', () => undefined);
  try {
    if (zip.entryCount > limits.entries)
      throw new SkiffError('INVALID_INPUT', `${file} holds ${zip.entryCount} entries, more than the ${limits.entries} an OSV database zip is read with; pass the zip of one ecosystem or a directory of its records`);
    for (;;) {
      let entry: yauzl.Entry | undefined;
      let bytes: Buffer;
      try {
        entry = await nextEntry(zip);
        if (!entry) return;
        if (entry.fileName.endsWith('/') || !entry.fileName.endsWith('.json')) continue;
        if (entry.uncompressedSize > limits.entryBytes)
          throw new SkiffError('INVALID_INPUT', `${file}: ${entry.fileName} is ${entry.uncompressedSize} bytes uncompressed, more than the ${limits.entryBytes} an OSV record may be; this is not an OSV database`);
        bytes = await entryBytes(zip, entry, entry.uncompressedSize);
      } catch (e) {
        if (e instanceof SkiffError) throw e;
        throw unreadable(file, firstLine(e), e);
      }
      onEntry(entry.fileName, bytes);
    }
  } finally {
    zip.close();
  }
}
