// Partial uploads do not stay in the hub's blob store: one left by a hub killed mid-PUT is gone when the hub starts
// again; the running hub sweeps old ones periodically; an upload in flight is never disturbed, whatever its age.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initHub, STORE_DIR } from '../../src/hub/init.ts';
import { startHubServer } from '../../src/hub/server.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { hubInit, startHubProcess } from '../helpers/hub-process.ts';
import { exchange, startRequest } from '../helpers/raw-http.ts';

const MB = 1024 * 1024;
const HOUR = 60 * 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a blob PUT of `blob` and sends its first `sent` bytes; the caller ends or drops it. */
function partialPut(url: string, token: string, blob: Buffer, sent: number): { socket: Socket; response: Promise<string> } {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': blob.length };
  return startRequest(Number(new URL(url).port), { method: 'PUT', path: `/api/v1/blobs/${sha256(blob)}`, headers, body: blob }, sent);
}

/** The temp files of the store once `ready(files)` holds (polled, up to 10 s). */
async function tempFilesWhen(data: string, ready: (files: { name: string; size: number }[]) => boolean): Promise<{ name: string; size: number }[]> {
  const dir = join(data, STORE_DIR, 'tmp');
  let files: { name: string; size: number }[] = [];
  for (let i = 0; i < 200; i++) {
    const names = await readdir(dir).catch(() => []);
    files = [];
    for (const name of names) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s) files.push({ name, size: s.size });
    }
    if (ready(files)) return files;
    await sleep(50);
  }
  return files;
}

describe('partial uploads in the hub blob store', () => {
  it('are removed when a hub killed mid-PUT starts again', async () => {
    const data = await mkdtemp(join(tmpdir(), 'skiff-tmp-kill-'));
    const { token } = await hubInit({ data });
    let hub = await startHubProcess({ data });
    try {
      const blob = randomBytes(8 * MB);
      const put = partialPut(hub.url, token, blob, 4 * MB);
      const partial = await tempFilesWhen(data, (f) => f.some((x) => x.size >= MB));
      assert.equal(partial.length, 1, `the upload has a temp file: ${JSON.stringify(partial)}`);
      process.kill(hub.pid, 'SIGKILL');
      await hub.stop();
      put.socket.destroy();
      assert.deepEqual((await tempFilesWhen(data, () => true)).map((f) => f.name), [partial[0]!.name], 'the killed hub left its temp file');

      hub = await startHubProcess({ data });
      assert.deepEqual(await tempFilesWhen(data, () => true), [], 'gone once the hub listens again');
      const again = await exchange(Number(new URL(hub.url).port), {
        method: 'PUT',
        path: `/api/v1/blobs/${sha256(blob)}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: blob,
      });
      assert.equal(again.status, 201, again.body.toString());
      assert.deepEqual(await tempFilesWhen(data, () => true), []);
    } finally {
      await hub.stop();
      await rm(data, { recursive: true, force: true });
    }
  });

  it('are swept by age while the hub runs, and an upload in flight is not disturbed', async () => {
    const data = await mkdtemp(join(tmpdir(), 'skiff-tmp-age-'));
    const { token } = await initHub({ dataDir: data });
    const hub = await startHubServer({ dataDir: data, listen: '127.0.0.1:0', tempSweep: { everyMs: 50, olderThanMs: HOUR } });
    try {
      const tmp = join(data, STORE_DIR, 'tmp');
      const backdate = async (name: string, ms: number) => utimes(join(tmp, name), (Date.now() - ms) / 1000, (Date.now() - ms) / 1000);
      const blob = randomBytes(2 * MB);
      const put = partialPut(hub.url, token, blob, MB);
      const [inFlight] = await tempFilesWhen(data, (f) => f.some((x) => x.size >= MB));
      assert.ok(inFlight, 'the upload has a temp file');
      await backdate(inFlight.name, 3 * HOUR);
      // Another live process's files (the test runner's parent): an old one is left over, a fresh one is not.
      await writeFile(join(tmp, `${process.ppid}-0ld0`), 'partial');
      await backdate(`${process.ppid}-0ld0`, 2 * HOUR);
      await writeFile(join(tmp, `${process.ppid}-f0e5`), 'partial');

      const left = await tempFilesWhen(data, (f) => !f.some((x) => x.name.endsWith('-0ld0')));
      await sleep(300);
      assert.deepEqual((await tempFilesWhen(data, () => true)).map((f) => f.name).sort(), [inFlight.name, `${process.ppid}-f0e5`].sort(), `swept: ${JSON.stringify(left)}`);

      put.socket.write(blob.subarray(MB));
      assert.match(await put.response, /^HTTP\/1\.1 201/, 'the upload in flight completes');
      assert.deepEqual((await tempFilesWhen(data, () => true)).map((f) => f.name), [`${process.ppid}-f0e5`]);
    } finally {
      await hub.close();
      await rm(data, { recursive: true, force: true });
    }
  });
});
