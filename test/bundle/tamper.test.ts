// Every way a bundle can be damaged or forged is refused, with the code that names it.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import tar from 'tar-stream';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256 } from '../../src/oci/digest.ts';
import { loadChain, releaseBlobs } from '../../src/release/index.ts';
import { initTrust, loadTrustDir } from '../../src/trust/index.ts';
import { isSkiffError, type SkiffErrorCode } from '../../src/util/errors.ts';
import { entryAt, makeBundleFixture, verifyBundle, type BundleFixture } from './fixture.ts';

let fx: BundleFixture;
let full: Buffer;

before(async () => {
  fx = await makeBundleFixture('sktamp');
  full = await readFile((await fx.write('full.skiff', fx.v2)).file);
});

after(async () => {
  await fx?.vendor.cleanup();
});

async function refused(
  bytes: Buffer | Readable,
  codes: readonly SkiffErrorCode[],
  message?: RegExp,
  rootJson = fx.vendor.rootJson,
): Promise<void> {
  await assert.rejects(verifyBundle(bytes, rootJson, { allowMissing: true }), (e: unknown) => {
    assert.ok(isSkiffError(e) && codes.includes(e.code), `expected ${codes.join(' or ')}, got ${String(e)}`);
    if (message) assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

const largestLayer = async () => {
  const blobs = await releaseBlobs(fx.vendor.store, fx.v2.manifest);
  const layer = blobs.filter((b) => b.kind === 'layer').sort((a, b) => b.size - a.size)[0];
  assert.ok(layer);
  return entryAt(full, `blobs/sha256/${layer.digest.slice(7)}`);
};

test('the untampered bundle verifies (the baseline of this file)', async () => {
  const c = await verifyBundle(full, fx.vendor.rootJson);
  assert.equal(c.release.version, '2.0.0');
});

test('a flipped byte inside a layer: DIGEST_MISMATCH', async () => {
  const layer = await largestLayer();
  const bytes = Buffer.from(full);
  const at = layer.data + Math.floor(layer.size / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  await refused(bytes, ['DIGEST_MISMATCH']);
});

test('a truncated file, inside a blob or exactly at an entry boundary: BUNDLE_TRUNCATED', async () => {
  const layer = await largestLayer();
  await refused(full.subarray(0, layer.data + 1000), ['BUNDLE_TRUNCATED'], /truncated/);
  await refused(full.subarray(0, layer.header), ['BUNDLE_TRUNCATED'], /truncated/);
  const release = entryAt(full, 'skiff/release.sig');
  await refused(full.subarray(0, release.header), ['BUNDLE_TRUNCATED']);
  await refused(full.subarray(0, 0), ['BUNDLE_TRUNCATED']);
});

test('a source that closes part way without an error (a dropped download): BUNDLE_TRUNCATED, not a read waiting forever', { timeout: 20_000 }, async () => {
  const layer = await largestLayer();
  let served = false;
  // Closes (destroy() without an error) when the reader asks for more than the first part.
  const source = new Readable({
    read() {
      if (served) this.destroy();
      else this.push(full.subarray(0, layer.data + 1000));
      served = true;
    },
  });
  await refused(source, ['BUNDLE_TRUNCATED'], /truncated/);
});

test('a release signed by another trust dir: SIGNATURE_INVALID', async () => {
  const other = await initTrust(path.join(fx.vendor.dir, 'other-trust'), { expiresDays: 30 });
  const forged = { ...fx.v2, sig: Buffer.from(JSON.stringify(other.signRelease(fx.v2.bytes))) };
  const { file } = await fx.write('forged.skiff', forged, undefined, {
    chain: await loadChain(fx.vendor.store, fx.vendor.app),
  });
  await refused(await readFile(file), ['SIGNATURE_INVALID']);

  // The genuine bundle checked against the other vendor's root: its chain does not start from what is trusted.
  await refused(full, ['TRUST_INVALID', 'SIGNATURE_INVALID'], undefined, path.join(other.dir, 'root.json'));
  assert.equal((await loadTrustDir(other.dir)).chain.length, 1);
});

test('an edited release.json: SIGNATURE_INVALID or RELEASE_INVALID', async () => {
  const entry = entryAt(full, 'skiff/release.json');
  const text = full.subarray(entry.data, entry.data + entry.size).toString('utf8');
  const edited = text.replace('Version 2.0.0.', 'Version 6.6.6.');
  assert.notEqual(edited, text);
  assert.equal(Buffer.byteLength(edited), entry.size);
  const bytes = Buffer.from(full);
  bytes.write(edited, entry.data, 'utf8');
  await refused(bytes, ['SIGNATURE_INVALID', 'RELEASE_INVALID']);

  const broken = Buffer.from(full);
  broken[entry.data] = 0x20;
  await refused(broken, ['SIGNATURE_INVALID', 'RELEASE_INVALID']);
});

/** Re-packs the bundle entry by entry, adding `extra` entries before the end. */
async function repack(extra: { name: string; data: Buffer }[]): Promise<Buffer> {
  const extract = tar.extract();
  const pack = tar.pack();
  const out = buffer(pack);
  const copy = (async () => {
    for await (const entry of extract) {
      const data = await buffer(entry);
      await new Promise<void>((resolve, reject) =>
        pack.entry(entry.header, data, (e) => (e ? reject(e) : resolve())),
      );
    }
    for (const x of extra)
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: x.name, mtime: new Date(0) }, x.data, (e) => (e ? reject(e) : resolve())),
      );
    pack.finalize();
  })();
  await pipeline(Readable.from([full]), extract);
  await copy;
  return out;
}

test('an extra blob the signed release does not reach: BUNDLE_INVALID', async () => {
  assert.ok((await repack([])).equals(full), 'repacking alone changes nothing');
  const junk = Buffer.from('not part of any release\n');
  const bytes = await repack([{ name: `blobs/sha256/${sha256(junk).slice(7)}`, data: junk }]);
  await refused(bytes, ['BUNDLE_INVALID'], /not reached by the signed release/);
  const stray = await repack([{ name: 'skiff/notes.txt', data: junk }]);
  await refused(stray, ['BUNDLE_INVALID'], /unexpected entry/);
});

test('a file that is not a bundle at all: BUNDLE_INVALID', async () => {
  const file = path.join(fx.vendor.dir, 'junk.skiff');
  await writeFile(file, Buffer.alloc(4096, 0x41));
  await assert.rejects(
    verifyBundle(file, fx.vendor.rootJson),
    (e: unknown) => isSkiffError(e, 'BUNDLE_INVALID') || isSkiffError(e, 'BUNDLE_TRUNCATED'),
  );
});
