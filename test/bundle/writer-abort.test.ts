// writeBundle when its destination goes away (a client closing the socket) or its signal aborts, at many byte offsets:
// it rejects, nothing is thrown outside the returned promise (no unhandled 'error' event), and no file stays open.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { PassThrough, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { bundleSize, writeBundle, type BundleSource } from '../../src/bundle/index.ts';
import { loadChain } from '../../src/release/index.ts';
import { makeSyntheticVendor, type SyntheticVendor } from '../hub/release-fixture.ts';

const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A destination that takes `limit` bytes, then fails as a closed socket does. */
function closingAfter(limit: number): Writable {
  let seen = 0;
  return new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > limit) return cb(Object.assign(new Error('socket closed'), { code: 'ECONNRESET' }));
      cb();
    },
  });
}

describe('bundle writer, destination gone', () => {
  let vendor: SyntheticVendor;
  let src: BundleSource;
  let size: number;
  before(async () => {
    vendor = await makeSyntheticVendor({ baseLayerSize: 256 * 1024 });
    const release = await vendor.release('1.0.0', { webLayerSize: 128 * 1024 });
    src = { blobs: vendor.store, release, chain: await loadChain(vendor.store, vendor.app) };
    size = await bundleSize(src);
  });
  after(() => vendor.cleanup());

  // Offsets in the small entries (headers, root, release, index), at entry boundaries and inside each blob.
  const offsets = (): number[] => [0, 1, 511, 512, 700, 1536, 2048, 4096, 5000, 8192, 20_000, 70_000, 200_000, 300_000, size - 1024, size - 1];

  it('rejects, with no uncaught error and no open file, when the destination fails at any offset', async () => {
    const before = await openFds();
    for (const cut of offsets()) {
      await assert.rejects(writeBundle(src, closingAfter(cut)), /socket closed/, `cut at ${cut}`);
      await tick();
    }
    assert.ok((await openFds()) <= before, 'no file stays open');
  });

  it('rejects when the signal aborts after any number of bytes, including before the first', async () => {
    const before = await openFds();
    for (const cut of offsets()) {
      const stop = new AbortController();
      let seen = 0;
      const out = new PassThrough();
      out.on('data', (c: Buffer) => {
        seen += c.length;
        if (seen > cut) stop.abort();
      });
      if (cut === 0) stop.abort();
      await assert.rejects(writeBundle(src, out, undefined, stop.signal), { name: 'AbortError' }, `abort at ${cut}`);
      await tick();
    }
    assert.ok((await openFds()) <= before, 'no file stays open');
  });

  it('still writes the whole bundle, of the announced size, when nothing goes away', async () => {
    const out = new PassThrough();
    const bytes = buffer(out);
    await writeBundle(src, out);
    assert.equal((await bytes).length, size);
  });
});
