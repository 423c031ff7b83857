// The agent's log spool: numbered lines survive a reopen with their cursors, acknowledged segments go, and a spool
// over its budget drops its oldest segment and counts the lines lost.
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LogSpool } from '../../src/agent/connected/logs/spool.ts';
import { fixedNanos, levelOf } from '../../src/agent/connected/logs/collect.ts';

const entry = (n: number, key = 'container:a') => ({
  at: '2026-11-30T10:00:00.000Z', service: 'web', source: 'stdout', level: 'info' as const, message: `line ${n} ${'x'.repeat(80)}`,
  cursorKey: key, cursor: `2026-11-30T10:00:${String(n % 60).padStart(2, '0')}.000000000Z`,
});

describe('log spool', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-spool-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('numbers lines, keeps them and their cursors across a reopen, and forgets what the hub acknowledged', async () => {
    const path = join(dir, 'a');
    const spool = await LogSpool.open(path, { segmentBytes: 1000 });
    await spool.append([1, 2, 3, 4, 5].map((n) => entry(n)));
    await spool.append([6, 7].map((n) => entry(n, 'container:b')));
    // A write torn by a kill leaves half a line; it is skipped.
    const segs = (await readdir(path)).filter((f) => f.startsWith('seg-'));
    await appendFile(join(path, segs.at(-1) ?? ''), '{"seq":8,"at":"2026');
    const again = await LogSpool.open(path, { segmentBytes: 1000 });
    assert.equal(again.stream, spool.stream);
    assert.equal(again.pending, 7);
    assert.equal(again.cursor('container:a'), entry(5).cursor);
    assert.equal(again.cursor('container:b'), entry(7).cursor);
    assert.deepEqual((await again.nextBatch(3)).map((l) => l.seq), [1, 2, 3]);
    await again.ack(3);
    assert.deepEqual((await again.nextBatch(10)).map((l) => l.seq), [4, 5, 6, 7]);
    await again.ack(7);
    assert.equal(again.pending, 0);
    assert.deepEqual((await readdir(path)).filter((f) => f.startsWith('seg-')), []);
    const third = await LogSpool.open(path, { segmentBytes: 1000 });
    await third.append([entry(8)]);
    assert.deepEqual((await third.nextBatch(10)).map((l) => l.seq), [8]);
    assert.equal(third.cursor('container:a'), entry(8).cursor);
  });

  it('over its budget drops the oldest segment and counts its unshipped lines', async () => {
    const spool = await LogSpool.open(join(dir, 'b'), { segmentBytes: 1000, budgetBytes: 3000 });
    for (let n = 1; n <= 60; n += 1) await spool.append([entry(n)]);
    const segs = (await readdir(join(dir, 'b'))).filter((f) => f.startsWith('seg-'));
    assert.ok(segs.length <= 4, segs.join(' '));
    assert.ok(spool.dropped > 0);
    const batch = await spool.nextBatch(100);
    assert.equal(batch.at(-1)?.seq, 60);
    assert.equal(spool.dropped + batch.length, 60, 'every line is either still spooled or counted as dropped');
    assert.equal((await LogSpool.open(join(dir, 'b'))).dropped, spool.dropped);
  });

  it('reads levels and engine timestamps', () => {
    assert.equal(levelOf('2026/11/30 ERROR: db down', 'stdout'), 'error');
    assert.equal(levelOf('level=warn msg=slow', 'stdout'), 'warn');
    assert.equal(levelOf('{"level":"debug"}', 'stdout'), 'debug');
    assert.equal(levelOf('plain text', 'stderr'), 'warn');
    assert.equal(levelOf('plain text', 'stdout'), 'info');
    assert.equal(fixedNanos('2026-11-30T10:00:00.5Z'), '2026-11-30T10:00:00.500000000Z');
    assert.equal(fixedNanos('2026-11-30T10:00:00Z'), '2026-11-30T10:00:00.000000000Z');
    assert.equal(fixedNanos('garbage'), undefined);
  });
});
