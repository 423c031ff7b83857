// The exact byte length of a bundle before it is streamed: the real writer run over zero-filled blob bodies.
import { Readable, Writable } from 'node:stream';
import { planBundle, writeBundle, type BundleSource } from '../bundle/index.ts';
import type { Digest } from '../oci/digest.ts';
import type { BlobStore } from '../store/index.ts';

const ZEROS = Buffer.alloc(1 << 20);

function* zeros(size: number): Generator<Buffer> {
  for (let left = size; left > 0; left -= ZEROS.length) yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
}

/** Reads image manifests for real (the writer parses them) and answers every other blob with zeros of its size. */
function zeroBodies(real: BlobStore, sizes: ReadonlyMap<Digest, number>, manifests: ReadonlySet<string>): BlobStore {
  return {
    has: (d, s) => real.has(d, s),
    stat: (d, s) => real.stat(d, s),
    get: async (d, o) => {
      const size = sizes.get(d);
      return manifests.has(d) || size === undefined ? real.get(d, o) : Readable.from(zeros(size));
    },
    put: (src, e, s) => real.put(src, e, s),
    delete: (d, s) => real.delete(d, s),
  };
}

/** Counts the bytes `writeBundle` produces for `src`, reading only the image manifests from the store. */
export async function bundleSize(src: BundleSource): Promise<number> {
  const index = await planBundle(src);
  const manifests = new Set([src.release, ...(src.base ? [src.base] : [])].flatMap((r) => Object.values(r.manifest.images).map((i) => i.manifestDigest)));
  const sizes = new Map(index.blobs.map((b) => [b.digest, b.size] as const));
  let total = 0;
  const counter = new Writable({
    write(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      cb();
    },
  });
  await writeBundle({ ...src, blobs: zeroBodies(src.blobs, sizes, manifests) }, counter);
  return total;
}
