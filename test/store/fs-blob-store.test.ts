// The filesystem blob store against the shared contract, plus what only it offers (list, no temp files left).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { FsBlobStore } from '../../src/store/index.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { blobStoreContract } from './blob-store-contract.ts';

const temp = () => mkdtemp(path.join(os.tmpdir(), 'skiff-fs-store-'));

blobStoreContract('filesystem', async () => {
  const dir = await temp();
  return { store: new FsBlobStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

it('filesystem store lists its blobs and leaves no temp files after a refused put', async () => {
  const dir = await temp();
  const store = new FsBlobStore(dir);
  const a = await store.put([Buffer.from('a')]);
  await assert.rejects(store.put([Buffer.from('b')], { digest: sha256('c') }));
  const listed = [];
  for await (const d of store.list()) listed.push(d);
  assert.deepEqual(listed, [a.digest]);
  assert.deepEqual(await readdir(path.join(dir, 'tmp')), []);
  await rm(dir, { recursive: true, force: true });
});
