// The filesystem store's temp sweep: a dead process's temp files go at once, anyone's once untouched for the age
// limit, and an upload in flight in this process stays whatever its age, and completes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sha256 } from '../../src/oci/digest.ts';
import { FsBlobStore } from '../../src/store/index.ts';

const HOUR = 60 * 60_000;

/** The pid of a process that has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', ''], (e) => (e ? reject(e) : resolve(child.pid ?? -1)));
  });
}

describe('filesystem store temp sweep', () => {
  let dir: string;
  let store: FsBlobStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-sweep-'));
    store = new FsBlobStore(dir);
    await mkdir(store.paths.tmpDir, { recursive: true });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const plant = async (name: string, ageMs: number, asDir = false): Promise<void> => {
    const path = join(store.paths.tmpDir, name);
    if (asDir) await mkdir(path);
    else await writeFile(path, 'partial');
    const t = (Date.now() - ageMs) / 1000;
    await utimes(path, t, t);
  };

  it('removes a dead process’s files at once and anyone’s by age, and keeps a live writer’s fresh ones', async () => {
    const live = process.ppid;
    const dead = `${await deadPid()}-aa11`;
    await plant(dead, 0);
    await plant(`${process.pid}-bb22`, 0);
    await plant(`${live}-cc33`, 2 * HOUR);
    await plant(`${live}-dd44`, 60_000);
    await plant('ee55ee55', 2 * HOUR);
    await plant('ff66ff66', 60_000);
    await plant('export-0a0b', 2 * HOUR, true);
    const removed = await store.sweepTemp(HOUR);
    assert.deepEqual(removed.sort(), [dead, `${process.pid}-bb22`, `${live}-cc33`, 'ee55ee55', 'export-0a0b'].sort());
    assert.deepEqual((await readdir(store.paths.tmpDir)).sort(), [`${live}-dd44`, 'ff66ff66'].sort());
  });

  it('never touches an upload in flight, however old its file looks, and the upload completes', async () => {
    for (const name of await readdir(store.paths.tmpDir)) await rm(join(store.paths.tmpDir, name), { recursive: true });
    const bytes = randomBytes(512 * 1024);
    const source = new PassThrough();
    const put = store.put(source, { digest: sha256(bytes), size: bytes.length });
    source.write(bytes.subarray(0, 1000));
    let inFlight: string[] = [];
    for (let i = 0; i < 100 && inFlight.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight = await readdir(store.paths.tmpDir);
    }
    assert.equal(inFlight.length, 1, 'the upload has its temp file');
    const old = (Date.now() - 3 * HOUR) / 1000;
    await utimes(join(store.paths.tmpDir, inFlight[0]!), old, old);
    assert.deepEqual(await store.sweepTemp(HOUR), []);
    assert.deepEqual(await store.sweepTemp(0), []);
    source.end(bytes.subarray(1000));
    assert.deepEqual(await put, { digest: sha256(bytes), size: bytes.length });
    assert.equal(await store.has(sha256(bytes)), true);
  });
});
