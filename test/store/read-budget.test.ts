// The read-buffer budget: large chunks while they fit, small ones after, room given back once per lease; and the
// filesystem store reads in the chunk size it is given.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { FsBlobStore, ReadBufferBudget, blobReadBudget } from '../../src/store/index.ts';

it('lends large chunks while they fit the budget, small ones after, and takes each back once', () => {
  const budget = new ReadBufferBudget({ capacity: 3 << 20, large: 1 << 20, small: 64 << 10 });
  const leases = Array.from({ length: 5 }, () => budget.lease());
  assert.deepEqual(leases.map((l) => l.chunkSize), [1 << 20, 1 << 20, 1 << 20, 64 << 10, 64 << 10]);
  assert.equal(budget.used, 3 << 20);
  leases[4]!.release();
  assert.equal(budget.used, 3 << 20, 'a small lease was never counted');
  leases[0]!.release();
  leases[0]!.release();
  assert.equal(budget.used, 2 << 20, 'a second release of the same lease gives nothing back');
  assert.equal(budget.lease().chunkSize, 1 << 20, 'the room is lent again');
  for (const l of leases) l.release();
  assert.equal(budget.used, 1 << 20);
});

it('the process budget allows 64 downloads 1 MiB chunks, then 64 KiB', () => {
  assert.deepEqual([blobReadBudget.capacity, blobReadBudget.large, blobReadBudget.small], [64 << 20, 1 << 20, 64 << 10]);
});

it('the filesystem store reads in the chunk size it is given, 1 MiB by default', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-chunk-'));
  try {
    const store = new FsBlobStore(dir);
    const { digest } = await store.put([Buffer.alloc(200_000, 7)]);
    const small = await store.get(digest, { chunkSize: 64 << 10 });
    const whole = await store.get(digest);
    assert.equal(small.readableHighWaterMark, 64 << 10);
    assert.equal(whole.readableHighWaterMark, 1 << 20);
    const chunks: number[] = [];
    for await (const c of small) chunks.push((c as Buffer).length);
    assert.deepEqual(chunks, [65536, 65536, 65536, 3392]);
    whole.destroy();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
