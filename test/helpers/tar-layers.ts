// Layer bytes for the delta tests: deterministic incompressible data, a tar of named files, and its stored-gzip blob.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { storedGzip } from '../../src/oci/index.ts';

/** `length` bytes that do not compress, the same for the same seed. */
export function noise(seed: string, length: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < length; i++) parts.push(createHash('sha256').update(`${seed}-${i}`).digest());
  return Buffer.concat(parts).subarray(0, length);
}

/** A layer tar of regular files (mtime 0, mode 644). */
export async function tarLayer(files: readonly { name: string; data: Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  const done = buffer(pack);
  for (const f of files) await new Promise<void>((resolve, reject) => pack.entry({ name: f.name, mtime: new Date(0), mode: 0o644 }, f.data, (e) => (e ? reject(e) : resolve())));
  pack.finalize();
  return done;
}

/** The tar framed as a stored-gzip layer blob (release create --layer-compression stored). */
export const storedBytes = async (tarBytes: Buffer): Promise<Buffer> => buffer(Readable.from(storedGzip(Readable.from([tarBytes]), tarBytes.length)));
