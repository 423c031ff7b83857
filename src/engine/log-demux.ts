// Splits the engine's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size32be) back into text.

export interface LogFrames {
  stdout: string;
  stderr: string;
  /** both streams, in the order the engine sent them */
  combined: string;
}

/** A buffer is multiplexed when it starts with a valid frame header; a TTY container's logs are raw. */
export function isMultiplexed(buf: Buffer): boolean {
  if (buf.length < 8) return false;
  const kind = buf[0] ?? 255;
  return kind <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
}

export function demuxLogs(buf: Buffer): LogFrames {
  if (!isMultiplexed(buf)) {
    const text = buf.toString('utf8');
    return { stdout: text, stderr: '', combined: text };
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const all: Buffer[] = [];
  let pos = 0;
  while (pos + 8 <= buf.length) {
    const kind = buf[pos];
    const size = buf.readUInt32BE(pos + 4);
    const frame = buf.subarray(pos + 8, Math.min(pos + 8 + size, buf.length));
    pos += 8 + size;
    all.push(frame);
    (kind === 2 ? err : out).push(frame);
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), combined: Buffer.concat(all).toString('utf8') };
}

/**
 * The same split for a stream that arrives in chunks cut anywhere (a followed log): feed it chunks, get each frame's
 * stream and bytes. A stream that does not start with a frame header (a TTY container's) is passed through as stdout.
 */
export class LogFrameSplitter {
  #pending: Buffer = Buffer.alloc(0);
  #raw: boolean | undefined;

  push(chunk: Buffer): { stream: 'stdout' | 'stderr'; data: Buffer }[] {
    if (this.#raw === undefined) {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      if (this.#pending.length < 8) return [];
      this.#raw = !isMultiplexed(this.#pending);
      chunk = this.#pending;
      this.#pending = Buffer.alloc(0);
    }
    if (this.#raw) return [{ stream: 'stdout', data: chunk }];
    let buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const out: { stream: 'stdout' | 'stderr'; data: Buffer }[] = [];
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      out.push({ stream: buf[0] === 2 ? 'stderr' : 'stdout', data: buf.subarray(8, 8 + size) });
      buf = buf.subarray(8 + size);
    }
    this.#pending = Buffer.from(buf);
    return out;
  }
}
