// sha256 digests: validation before any path is built from one, hashing of buffers and streams.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { SkiffError } from '../util/index.ts';

export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

export function parseDigest(s: string, what = 'digest'): Digest {
  if (!isDigest(s)) throw new SkiffError('DIGEST_INVALID', `${what} "${s.slice(0, 80)}" is not a sha256 digest (sha256:<64 hex>)`);
  return s;
}

export function digestHex(d: Digest): string {
  return d.slice(7);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    cb(null, chunk);
  }

  get size(): number {
    return this.#size;
  }

  /** Call once the stream has ended. */
  digest(): Digest {
    return `sha256:${this.#hash.digest('hex')}`;
  }
}
