// The OSV database .zip read in-process: no unzip program needed, the same records and digest as the directory, and a
// corrupt zip, an oversize entry or too many entries are one-line errors naming the file.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadOsvDatabase } from '../../src/scan/index.ts';
import { OSV_ZIP_LIMITS, readZipJsonEntries } from '../../src/scan/osv-zip.ts';
import { isSkiffError } from '../../src/util/index.ts';
import { OSV_RECORDS, writeOsvDatabase } from './osv-fixture.ts';

let dir: string;
let db: { dir: string; zip: string };

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-osvzip-'));
  db = await writeOsvDatabase(dir);
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Rejects with a one-line INVALID_INPUT error naming `file` and matching `pattern`. */
async function rejectsNaming(p: Promise<unknown>, file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isSkiffError(e, 'INVALID_INPUT'), String(e));
    assert.ok(e.message.includes(file), e.message);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

test('a zip is read without the unzip program, with the same records and digest as the directory', async () => {
  // A child with an empty PATH: the old reader ran `unzip`, which it cannot find there.
  const script = `import { loadOsvDatabase } from ${JSON.stringify(new URL('../../src/scan/index.ts', import.meta.url).href)};
const db = await loadOsvDatabase(${JSON.stringify(db.zip)}); console.log(JSON.stringify({ records: db.records, digest: db.digest }));`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, PATH: '' } }, (err, stdout, stderr) =>
      err ? reject(new Error(stderr || String(err))) : resolve(stdout),
    ),
  );
  const fromZip = JSON.parse(out) as { records: number; digest: string };
  const fromDir = await loadOsvDatabase(db.dir);
  assert.equal(fromZip.records, Object.keys(OSV_RECORDS).length);
  assert.deepEqual(fromZip, { records: fromDir.records, digest: fromDir.digest });
  assert.deepEqual((await loadOsvDatabase(db.zip)).lookup('npm', 'debug').map((r) => r.id), ['GHSA-dddd-eeee-ffff']);
});

test('a zip whose record data is corrupt is a one-line error naming the file', async () => {
  // Stored (uncompressed) entries, and one byte of the first record changed inside a JSON string: still JSON, wrong CRC.
  const src = path.join(dir, 'stored.zip');
  execFileSync('zip', ['-q0r', src, '.'], { cwd: db.dir });
  const bytes = await readFile(src);
  const at = bytes.indexOf('"summary"');
  assert.ok(at > 0);
  bytes[at + 2] = 'X'.charCodeAt(0);
  const corrupt = path.join(dir, 'corrupt.zip');
  await writeFile(corrupt, bytes);
  await rejectsNaming(loadOsvDatabase(corrupt), corrupt, /is not a readable zip: .*CRC/);

  const truncated = path.join(dir, 'truncated.zip');
  await writeFile(truncated, bytes.subarray(0, bytes.length - 40));
  await rejectsNaming(loadOsvDatabase(truncated), truncated, /is not a readable zip: /);
});

test('a zip over the in-memory size is read from the file: the same entries, and a corrupt one is the same one-line error', async () => {
  const entries = async (file: string, bufferedBytes: number) => {
    const got: [string, string][] = [];
    await readZipJsonEntries(file, (name, bytes) => got.push([name, bytes.toString('utf8')]), { ...OSV_ZIP_LIMITS, bufferedBytes });
    return got;
  };
  const fromFile = await entries(db.zip, 0);
  assert.equal(fromFile.length, Object.keys(OSV_RECORDS).length);
  assert.deepEqual(await entries(db.zip, OSV_ZIP_LIMITS.bufferedBytes), fromFile);
  const corrupt = path.join(dir, 'corrupt.zip');
  await rejectsNaming(entries(corrupt, 0), corrupt, /is not a readable zip: .*CRC/);
});

test('an entry larger than an OSV record may be is refused before it is inflated', async () => {
  const big = path.join(dir, 'big');
  execFileSync('mkdir', ['-p', big]);
  // Valid JSON and a valid record, padded to 17 MiB: it deflates to a few KiB, so only the entry size limit catches it.
  await writeFile(path.join(big, 'BIG-1.json'), `{"id":"BIG-1"${' '.repeat(17 * 1024 * 1024)}}`);
  const zip = path.join(dir, 'big.zip');
  execFileSync('zip', ['-qr', zip, '.'], { cwd: big });
  await rejectsNaming(loadOsvDatabase(zip), zip, /BIG-1\.json is 17825806 bytes uncompressed, more than the 16777216 an OSV record may be/);
});

test('a zip with more entries than the limit is refused before any is read', async () => {
  let read = 0;
  await rejectsNaming(
    readZipJsonEntries(db.zip, () => read++, { entries: 3, entryBytes: 1 << 20, bufferedBytes: 0 }),
    db.zip,
    /holds \d+ entries, more than the 3 an OSV database zip is read with/,
  );
  assert.equal(read, 0);
});
