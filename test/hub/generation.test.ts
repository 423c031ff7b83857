// The hub generation's reads and caches: a request only takes a generation read that started after it arrived, and
// concurrent requests share reads; a cache serves a value only under the generation it was computed in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FreshGeneration, GenerationCache } from '../../src/hub/generation.ts';

/** A read the test answers by hand: each call is one query, resolved when the test says so. */
function manualReads(): { read: () => Promise<number>; started: number; answer(n: number): void } {
  const pending: ((n: number) => void)[] = [];
  const reads = {
    started: 0,
    read: () => {
      reads.started++;
      return new Promise<number>((resolve) => pending.push(resolve));
    },
    answer: (n: number) => pending.shift()?.(n),
  };
  return reads;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('FreshGeneration', () => {
  it('never hands a request a read that started before it came in, and shares the next read among all that wait', async () => {
    const reads = manualReads();
    const gen = new FreshGeneration(() => reads.read());
    const first = gen.fresh();
    assert.equal(reads.started, 1);
    // Arrives while read 1 is in flight: read 1 may predate a change committed just before this call.
    const second = gen.fresh();
    const third = gen.fresh();
    await tick();
    assert.equal(reads.started, 1, 'the next read waits for the one in flight');
    reads.answer(5);
    assert.equal(await first, 5);
    await tick();
    assert.equal(reads.started, 2, 'one read for both waiting requests');
    reads.answer(6);
    assert.deepEqual(await Promise.all([second, third]), [6, 6]);
    const later = gen.fresh();
    assert.equal(reads.started, 3, 'nothing in flight: a new read at once');
    reads.answer(7);
    assert.equal(await later, 7);
  });

  it('a failed read fails its own requests only', async () => {
    let n = 0;
    const gen = new FreshGeneration(async () => {
      if (++n === 1) throw new Error('database down');
      return n;
    });
    const failed = gen.fresh();
    const next = gen.fresh();
    await assert.rejects(failed, /database down/);
    assert.equal(await next, 2);
  });
});

describe('FreshGeneration.recent', () => {
  it('gives a read only while it is younger than maxAgeMs and no local write came after it', async () => {
    let n = 0;
    const gen = new FreshGeneration(async () => ++n, { maxAgeMs: 40 });
    assert.equal(gen.recent(), undefined, 'nothing read yet');
    assert.equal(await gen.fresh(), 1);
    assert.equal(gen.recent(), 1);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(gen.recent(), undefined, 'too old');
    assert.equal(await gen.fresh(), 3, 'not the read-ahead that recent() started before this call');
    gen.invalidate();
    assert.equal(gen.recent(), undefined, 'a write through this replica came after it');
  });

  it('reads ahead once half maxAgeMs has passed, so steady traffic never finds it expired', async () => {
    const reads = manualReads();
    const gen = new FreshGeneration(() => reads.read(), { maxAgeMs: 100 });
    const first = gen.fresh();
    reads.answer(1);
    assert.equal(await first, 1);
    await tick();
    assert.equal(gen.recent(), 1, 'young: no read ahead');
    assert.equal(reads.started, 1);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(gen.recent(), 1, 'past half the bound it still serves its read…');
    assert.equal(reads.started, 2, '…and has started the next one');
    assert.equal(gen.recent(), 1);
    assert.equal(reads.started, 2, 'one read ahead at a time');
    reads.answer(2);
    await tick();
    assert.equal(gen.recent(), 2);
  });

  it('does not keep a read that was in flight when a local write happened', async () => {
    const reads = manualReads();
    const gen = new FreshGeneration(() => reads.read(), { maxAgeMs: 60_000 });
    const inFlight = gen.fresh();
    gen.invalidate();
    reads.answer(8);
    assert.equal(await inFlight, 8);
    await tick();
    assert.equal(gen.recent(), undefined);
    const after = gen.fresh();
    reads.answer(9);
    assert.equal(await after, 9);
    await tick();
    assert.equal(gen.recent(), 9);
  });

  it('is never used with maxAgeMs 0', async () => {
    const gen = new FreshGeneration(async () => 1);
    await gen.fresh();
    await tick();
    assert.equal(gen.recent(), undefined);
  });
});

describe('GenerationCache', () => {
  it('serves a value only under its generation; a newer generation drops everything; an older one is not kept', () => {
    const cache = new GenerationCache<string>();
    cache.set(3, 'a', 'A3');
    assert.equal(cache.get(3, 'a'), 'A3');
    assert.equal(cache.get(4, 'a'), undefined);
    assert.equal(cache.get(3, 'a'), undefined, 'gone once a newer generation was seen');
    cache.set(3, 'a', 'stale');
    assert.equal(cache.get(4, 'a'), undefined, 'a value computed under an older generation is not kept');
    cache.set(4, 'a', 'A4');
    assert.equal(cache.get(4, 'a'), 'A4');
  });

  it('stays within its limit', () => {
    const cache = new GenerationCache<number>(2);
    cache.set(1, 'a', 1);
    cache.set(1, 'b', 2);
    cache.set(1, 'c', 3);
    assert.equal(cache.get(1, 'c'), 3);
    assert.equal(cache.get(1, 'a'), undefined);
  });
});
