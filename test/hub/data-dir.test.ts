// The hub's data dir is owner-only: `hub init` makes it 0700 with hub.db 0600, `hub serve` keeps SQLite's -wal and
// -shm files 0600 and the blob store's dirs 0700, and tightens a data dir an older hub left world-readable.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initHub, startHubServer, SQLITE_FILE, STORE_DIR } from '../../src/hub/index.ts';
import { sha256 } from '../../src/oci/digest.ts';

const modeOf = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8);

describe('hub data dir permissions', () => {
  let parent: string;
  let umask: number;
  before(async () => {
    // The usual umask, so that only the hub's own modes can make anything owner-only.
    umask = process.umask(0o022);
    parent = await mkdtemp(join(tmpdir(), 'skiff-data-modes-'));
  });
  after(async () => {
    process.umask(umask);
    await rm(parent, { recursive: true, force: true });
  });

  it('creates the data dir 0700 and its files 0600, and keeps what serve creates owner-only', async () => {
    const data = join(parent, 'hub');
    const { token } = await initHub({ dataDir: data });
    assert.equal(await modeOf(data), '700');
    assert.equal(await modeOf(join(data, STORE_DIR)), '700');
    assert.equal(await modeOf(join(data, SQLITE_FILE)), '600');

    const hub = await startHubServer({ dataDir: data, listen: '127.0.0.1:0' });
    try {
      const blob = Buffer.from('a blob');
      const put = await fetch(`${hub.url}/api/v1/blobs/${sha256(blob)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: blob,
      });
      assert.equal(put.status, 201);
      const files = (await readdir(data)).filter((f) => f.startsWith(SQLITE_FILE));
      assert.deepEqual(files.sort(), [SQLITE_FILE, `${SQLITE_FILE}-shm`, `${SQLITE_FILE}-wal`]);
      for (const f of files) assert.equal(await modeOf(join(data, f)), '600', f);
      for (const d of ['blobs', 'blobs/sha256', 'tmp']) assert.equal(await modeOf(join(data, STORE_DIR, d)), '700', d);
    } finally {
      await hub.close();
    }
  });

  it('tightens a data dir an older hub left world-readable when it serves', async () => {
    const data = join(parent, 'older');
    await initHub({ dataDir: data });
    await chmod(data, 0o755);
    await chmod(join(data, STORE_DIR), 0o755);
    await chmod(join(data, SQLITE_FILE), 0o644);
    const hub = await startHubServer({ dataDir: data, listen: '127.0.0.1:0' });
    await hub.close();
    assert.equal(await modeOf(data), '700');
    assert.equal(await modeOf(join(data, STORE_DIR)), '700');
    assert.equal(await modeOf(join(data, SQLITE_FILE)), '600');
  });
});
