// A crafted bundle cannot make a reader hold much memory: every entry it buffers has a ceiling, roots are verified
// one by one as they arrive, and entries are counted — each refusal one line naming the entry, its size and the limit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { VerifyOnlySink, readBundle, trustVerifier } from '../../src/bundle/index.ts';
import { BundleLimits } from '../../src/bundle/format.ts';
import {
  canonicalBytes,
  initTrust,
  parseRoot,
  serializeRoot,
  signBytes,
  type RootMeta,
  type RootSigned,
} from '../../src/trust/index.ts';
import { generateSigningKey, type SigningKey } from '../../src/trust/keys.ts';
import { isSkiffError, type SkiffErrorCode } from '../../src/util/errors.ts';
import {
  entryAt,
  makeBundleFixture,
  repackBundle,
  tarEntry,
  tarHeader,
  verifyBundle,
  type BundleFixture,
} from './fixture.ts';

const BIN = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));

let fx: BundleFixture;
let full: Buffer;

before(async () => {
  fx = await makeBundleFixture('sklim');
  full = await readFile((await fx.write('full.skiff', fx.v2)).file);
});

after(async () => {
  await fx?.vendor.cleanup();
});

async function refused(source: Buffer | Readable, code: SkiffErrorCode, message: RegExp): Promise<void> {
  const stream = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  const root = parseRoot(await readFile(fx.vendor.rootJson));
  await assert.rejects(
    readBundle(stream, { verify: trustVerifier(root), sink: new VerifyOnlySink(), allowMissing: true }),
    (e: unknown) => {
      assert.ok(isSkiffError(e, code), `expected ${code}, got ${String(e)}`);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
}

/** The genuine bundle up to (not including) entry `name`, then `rest` lazily; `pulled()` counts what the reader took of `rest`. */
function craft(upTo: string, rest: () => Generator<Buffer>): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const head = full.subarray(0, entryAt(full, upTo).header);
  function* all(): Generator<Buffer> {
    yield head;
    for (const chunk of rest()) {
      pulled++;
      yield chunk;
    }
  }
  return { stream: Readable.from(all(), { objectMode: false, highWaterMark: 1 }), pulled: () => pulled };
}

test('150 root entries of 4 MiB: `skiff bundle verify` refuses the first at once, in bounded memory', async () => {
  // Sparse: the 150 entries' data are holes, so the crafted 630 MB file costs no disk.
  const file = path.join(fx.vendor.dir, 'roots150.skiff');
  const size = 4 << 20;
  const fh = await open(file, 'w');
  let at = 0;
  for (let n = 1; n <= 150; n++) {
    await fh.write(tarHeader(`skiff/trust/root.${n}.json`, size), 0, 512, at);
    at += 512 + size;
  }
  for (const e of [
    tarEntry('skiff/release.json', Buffer.from('{}')),
    tarEntry('skiff/release.sig', Buffer.from('{}')),
  ]) {
    await fh.write(e, 0, e.length, at);
    at += e.length;
  }
  await fh.truncate(at + 1024);
  await fh.close();

  const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(
      '/usr/bin/time',
      ['-v', process.execPath, BIN, 'bundle', 'verify', file, '--trust', fx.vendor.rootJson],
      { timeout: 300_000 },
      (err, _out, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
    ),
  );
  assert.equal(r.code, 1);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('skiff: '));
  assert.deepEqual(lines, [
    `skiff: bundle is invalid: skiff/trust/root.1.json is ${size} bytes, over the ${BundleLimits.rootBytes}-byte limit for a root.json: the bundle is damaged or forged; ask the vendor for an intact copy`,
  ]);
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
  assert.ok(kb > 0, `/usr/bin/time -v reported no peak RSS: ${r.stderr}`);
  // It took 739 MB and more when every root was buffered before any was checked.
  assert.ok(kb < 200_000, `peak RSS ${kb} kB`);
});

test('one root under the old 4 MiB ceiling but over the root limit is refused, naming it, its size and the limit', async () => {
  const root1 = entryAt(full, 'skiff/trust/root.1.json');
  const padded = Buffer.concat([
    full.subarray(root1.data, root1.data + root1.size),
    Buffer.alloc(BundleLimits.rootBytes, 0x20),
  ]);
  const bytes = await repackBundle(full, (name) => (name === 'skiff/trust/root.1.json' ? padded : undefined));
  await refused(
    bytes,
    'BUNDLE_INVALID',
    new RegExp(
      `skiff/trust/root\\.1\\.json is ${padded.length} bytes, over the ${BundleLimits.rootBytes}-byte limit`,
    ),
  );
});

test('a bogus root fails as it arrives: nothing after it is read, nothing unverified piles up', async () => {
  const other = await initTrust(path.join(fx.vendor.dir, 'other-trust-bogus'), { expiresDays: 30 });
  const forged = Buffer.from(serializeRoot({ ...other.root, signed: { ...other.root.signed, version: 2 } }));
  const junk = Buffer.alloc(100 << 10, 0x20);
  const { stream, pulled } = craft('skiff/release.json', function* () {
    yield tarEntry('skiff/trust/root.2.json', forged);
    for (let n = 3; n < 10_003; n++) yield tarEntry(`skiff/trust/root.${n}.json`, junk);
  });
  await refused(stream, 'TRUST_INVALID', /root\.json version 2 has 0 valid signature/);
  assert.ok(pulled() < 50, `the reader took ${pulled()} crafted entries after the bogus root`);
});

/** root.1 … root.`count`, a key rotation each: root N+1 signed by root N's key and its own. */
function rotatedChain(count: number): RootMeta[] {
  const chain: RootMeta[] = [];
  let previous: SigningKey | undefined;
  for (let version = 1; version <= count; version++) {
    const key = generateSigningKey();
    const role = { keyids: [key.keyid], threshold: 1 };
    const signed: RootSigned = {
      _type: 'root',
      version,
      expires: new Date(Date.now() + 86_400_000).toISOString(),
      keys: { [key.keyid]: key.publicEntry },
      roles: { root: role, release: role },
    };
    const bytes = canonicalBytes(signed);
    chain.push({
      signed,
      signatures: [previous, key].filter((k) => k !== undefined).map((k) => signBytes(k.privateKey, bytes)),
    });
    previous = key;
  }
  return chain;
}

test(`a chain of more than ${BundleLimits.roots} roots is refused at root ${BundleLimits.roots + 1}, each verified on the way`, async () => {
  const chain = rotatedChain(BundleLimits.roots + 1);
  const roots = chain.map((r, i) =>
    tarEntry(`skiff/trust/root.${i + 1}.json`, Buffer.from(serializeRoot(r))),
  );
  const stream = Readable.from([
    Buffer.concat([...roots, tarEntry('skiff/release.json', Buffer.from('{}')), Buffer.alloc(1024)]),
  ]);
  await assert.rejects(
    readBundle(stream, { verify: trustVerifier(chain[0]!), sink: new VerifyOnlySink() }),
    (e: unknown) =>
      isSkiffError(e, 'BUNDLE_INVALID') &&
      new RegExp(
        `root\\.${BundleLimits.roots + 1}\\.json is past the limit of ${BundleLimits.roots} roots`,
      ).test(e.message),
  );
  // The same chain one root shorter is accepted root by root: the limit, not a bad signature, refused it.
  const verifier = trustVerifier(chain[0]!);
  chain.slice(0, BundleLimits.roots).forEach((r, i) => verifier.root(i + 1, Buffer.from(serializeRoot(r))));
});

test('the other buffered entries are bounded too, each named with its size and limit', async () => {
  const cases: [string, number][] = [
    ['skiff/release.json', BundleLimits.releaseBytes],
    ['skiff/release.sig', BundleLimits.signatureBytes],
    ['skiff/bundle.json', BundleLimits.indexBytes],
    ['oci-layout', BundleLimits.ociLayoutBytes],
    ['index.json', BundleLimits.ociIndexBytes],
  ];
  for (const [entry, limit] of cases) {
    const big = Buffer.alloc(limit + 1, 0x20);
    const bytes = await repackBundle(full, (name) => (name === entry ? big : undefined));
    await refused(
      bytes,
      'BUNDLE_INVALID',
      new RegExp(`${entry.replace('.', '\\.')} is ${limit + 1} bytes, over the ${limit}-byte limit`),
    );
  }
});

test(`more than ${BundleLimits.entries} entries: refused at the first past the limit`, async () => {
  const dir = tarHeader('skiff/', 0, '5');
  const { stream, pulled } = craft('skiff/', function* () {
    for (let i = 0; i < BundleLimits.entries + 10_000; i++) yield dir;
  });
  await refused(
    stream,
    'BUNDLE_INVALID',
    new RegExp(`is entry ${BundleLimits.entries + 1}, over the limit of ${BundleLimits.entries} entries`),
  );
  assert.ok(pulled() < BundleLimits.entries + 100, `the reader took ${pulled()} crafted entries`);
  assert.ok(stream.destroyed, 'the source is let go');
});

test('a 64 MiB pax header (which the tar library would hold whole) is refused before it is read', async () => {
  const { stream, pulled } = craft('skiff/', function* () {
    yield tarHeader('PaxHeader/skiff', 64 << 20, 'x');
    const chunk = Buffer.alloc(1 << 20, 0x41);
    for (let i = 0; i < 64; i++) yield chunk;
  });
  await refused(stream, 'BUNDLE_INVALID', /pax or GNU extended tar header \(67108864 bytes\)/);
  assert.ok(pulled() < 8, `the reader took ${pulled()} MiB of the pax header`);
});

test('reading a genuine bundle holds a few KiB of entries at once (the reader accounts for what it buffers)', async () => {
  const c = await verifyBundle(full, fx.vendor.rootJson);
  const sizes = [
    'skiff/trust/root.1.json',
    'skiff/release.json',
    'skiff/release.sig',
    'skiff/bundle.json',
  ].map((n) => entryAt(full, n).size);
  assert.ok(
    c.peakBufferedBytes >= sizes.reduce((a, b) => a + b, 0),
    'the chain, release, signature and bundle.json are held to the end',
  );
  assert.ok(c.peakBufferedBytes < 64 << 10, `${c.peakBufferedBytes} bytes held at once`);
});
