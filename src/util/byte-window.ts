// A Transform that passes on only the bytes from `start` (inclusive) to `end` (inclusive) of what flows through it.
import { Transform, type TransformCallback } from 'node:stream';

export function byteWindow(start: number, end: number): Transform {
  let at = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      const from = Math.max(0, start - at);
      const to = Math.min(chunk.length, end + 1 - at);
      at += chunk.length;
      cb(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
}
