// Stored gzip: any gzip reader (Node's zlib, the system's gzip) gets the input back; its size is known from the input's
// alone; its bytes are fixed by Skiff's framing (a golden digest), so every Node version writes the same layer.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { storedGzip, storedGzipFile, storedGzipSize } from '../../src/oci/index.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-stored-gzip-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const input = (length: number): Buffer => {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 7 + (i >> 9)) & 0xff;
  return b;
};

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of gen) out.push(b);
  return Buffer.concat(out);
}

async function stored(data: Buffer): Promise<Buffer> {
  const file = join(dir, `in-${data.length}`);
  await writeFile(file, data);
  return buffer(storedGzipFile(file));
}

test('every gzip reader gets the input back, at block and read boundaries too', async () => {
  for (const length of [0, 1, 65534, 65535, 65536, 65535 * 16, 65535 * 16 + 1, 3_000_000]) {
    const data = input(length);
    const gz = await stored(data);
    assert.equal(gz.length, storedGzipSize(length), `size of ${length} bytes`);
    assert.ok(gunzipSync(gz).equals(data), `zlib reads ${length} bytes back`);
    assert.ok(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 16 << 20 }).equals(data), `gzip -d reads ${length} bytes back`);
  }
});

test('the bytes are fixed by the format, not by a zlib build', async () => {
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  // Golden values, computed apart from this code (a Python framing of the same format): a change here changes the
  // digest of every stored layer ever signed.
  assert.equal(digest(await stored(Buffer.alloc(0))), '30e6fa98fb48c2b132824d1ac5e2243c0be9e9082ff32598d34d7687ca7f6c7f');
  assert.equal(digest(await stored(input(200_000))), '3eb9f12489ddbb47f2ee89c72be2d94456a57fdf6de831f4ed388fff9f9f55cb');
});

test('pieces of any size frame to the same bytes as the file, and a wrong length is refused', async () => {
  const data = input(1_000_003);
  async function* pieces(sizes: readonly number[]): AsyncGenerator<Buffer> {
    for (let at = 0, i = 0; at < data.length; i++) {
      const n = sizes[i % sizes.length]!;
      yield data.subarray(at, at + n);
      at += n;
    }
  }
  const whole = await stored(data);
  for (const sizes of [[1], [7, 65535, 3], [65536], [1 << 20]]) assert.ok((await collect(storedGzip(pieces(sizes), data.length))).equals(whole), `pieces ${sizes.join(',')}`);
  await assert.rejects(collect(storedGzip(pieces([4096]), data.length + 1)), /ends at/);
  await assert.rejects(collect(storedGzip(pieces([4096]), data.length - 1)), /longer/);
});
