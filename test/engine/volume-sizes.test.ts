// Volume sizes from the real engine's disk usage walk, which it runs one at a time: callers at once all get an answer
// (the engine refuses a second walk while one runs; volumeSizes waits for it).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DockerEngine } from '../../src/engine/index.ts';
import { ensureEngine, uniqueName } from '../helpers/engine.ts';

let engine: DockerEngine;
const volume = uniqueName('skiff-test-df');

before(async () => {
  engine = await ensureEngine();
  await engine.volumeCreate(volume, { 'skiff.test': volume });
});

after(async () => {
  await engine?.volumeRemove(volume);
});

test('eight volumeSizes calls at once all answer, and list the volume', async () => {
  const all = await Promise.all(Array.from({ length: 8 }, () => engine.volumeSizes()));
  for (const sizes of all) assert.equal(sizes.get(volume), 0);
});
