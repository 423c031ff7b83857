// The one contract every BlobStore backend passes (filesystem, registry), as distribution's driver test suites do.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it, before, after } from 'node:test';
import { sha256 } from '../../src/oci/digest.ts';
import type { BlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';

export function blobStoreContract(name: string, make: () => Promise<{ store: BlobStore; cleanup(): Promise<void> }>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await make()));
    after(async () => cleanup());

    it('puts a stream and reads it back, whole and by range', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const stat = await store.put(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
      assert.equal(stat.digest, sha256(data));
      assert.equal(stat.size, data.length);
      assert.ok(await store.has(stat.digest));
      assert.deepEqual(await store.stat(stat.digest), { digest: stat.digest, size: data.length });
      assert.ok((await buffer(await store.get(stat.digest))).equals(data));
      assert.ok((await buffer(await store.get(stat.digest, { start: 10, end: 19 }))).equals(data.subarray(10, 20)));
      assert.ok((await buffer(await store.get(stat.digest, { start: data.length - 5 }))).equals(data.subarray(-5)));
    });

    it('refuses content that does not match the expected digest or size, and keeps nothing', async () => {
      const data = randomBytes(1024);
      const wrong = sha256(randomBytes(8));
      await assert.rejects(store.put([data], { digest: wrong }), (e) => isSkiffError(e, 'DIGEST_MISMATCH'));
      assert.equal(await store.has(wrong), false);
      assert.equal(await store.has(sha256(data)), false);
      await assert.rejects(store.put([data], { digest: sha256(data), size: 1023 }), (e) => isSkiffError(e, 'SIZE_MISMATCH'));
      assert.equal(await store.has(sha256(data)), false);
    });

    it('is idempotent for content it already has', async () => {
      const data = randomBytes(2048);
      const a = await store.put([data], { digest: sha256(data), size: data.length });
      const b = await store.put([data], { digest: sha256(data), size: data.length });
      assert.deepEqual(a, b);
    });

    it('checks the content even of a blob it already has: other bytes under its digest are refused, the blob stays', async () => {
      const data = randomBytes(2048);
      const d = sha256(data);
      await store.put([data], { digest: d, size: data.length });
      const other = randomBytes(2048);
      await assert.rejects(store.put(Readable.from([other]), { digest: d, size: other.length }), (e) => isSkiffError(e, 'DIGEST_MISMATCH'));
      await assert.rejects(store.put([data.subarray(1)], { digest: d, size: data.length }), (e) => isSkiffError(e, 'SIZE_MISMATCH'));
      assert.ok((await buffer(await store.get(d))).equals(data));
    });

    it('answers unknown blobs as absent, and deletes', async () => {
      const data = randomBytes(512);
      const d = sha256(data);
      assert.equal(await store.stat(d), undefined);
      await assert.rejects(store.get(d), (e) => isSkiffError(e, 'BLOB_UNKNOWN'));
      await store.put([data]);
      await store.delete(d);
      assert.equal(await store.has(d), false);
      await store.delete(d);
    });

    it('stores the empty blob', async () => {
      const stat = await store.put([Buffer.alloc(0)]);
      assert.equal(stat.digest, sha256(Buffer.alloc(0)));
      assert.equal((await buffer(await store.get(stat.digest))).length, 0);
    });
  });
}
