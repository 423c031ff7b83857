// Gzip that uses every core: the input is cut into fixed-size chunks, each compressed as its own gzip
// member (RFC 1952 allows concatenated members; Docker, containerd and skopeo read them), in order.
// The output is deterministic for the same input, so the same layer always gets the same digest.
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip, constants } from 'node:zlib';

const gzipAsync = promisify(gzip);
const CHUNK = 4 << 20;

/** Compresses the file at `path`; memory stays near (parallelism + 1) chunks. */
export function gzipFileParallel(path: string, level = 6, signal?: AbortSignal): Readable {
  const parallel = Math.max(2, availableParallelism());
  async function* chunks(): AsyncGenerator<Buffer> {
    const fh = await open(path, 'r');
    try {
      const pending: Promise<Buffer>[] = [];
      let pos = 0;
      let eof = false;
      while (!eof || pending.length > 0) {
        while (!eof && pending.length < parallel) {
          signal?.throwIfAborted();
          const buf = Buffer.allocUnsafe(CHUNK);
          const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
          pos += bytesRead;
          if (bytesRead < CHUNK) eof = true;
          if (bytesRead > 0 || pos === 0)
            pending.push(gzipAsync(buf.subarray(0, bytesRead), { level, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY }));
        }
        const next = pending.shift();
        if (next) yield await next;
      }
    } finally {
      await fh.close();
    }
  }
  return Readable.from(chunks());
}
