// Parsing root.json and signature envelopes: a bad field is refused with an error naming it.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import {
  initTrust,
  keyIdOf,
  parseEnvelope,
  parseRoot,
  serializeRoot,
  type RootMeta,
} from '../../src/trust/index.ts';
import { tempTrustDir, throwsCode } from './fixtures.ts';

type Json = Record<string, unknown>;

/** A JSON copy of `value` with the field at `path` set to `to` (or deleted when `to` is undefined). */
function withField(value: unknown, path: readonly string[], to?: unknown): Json {
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  let node: Json = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Json;
  const last = path[path.length - 1] ?? '';
  if (to === undefined) delete node[last];
  else node[last] = to;
  return copy;
}

async function newRoot(t: TestContext): Promise<RootMeta> {
  return (await initTrust(await tempTrustDir(t))).root;
}

test('a serialized root parses back to the same value', async (t) => {
  const root = await newRoot(t);
  assert.deepEqual(parseRoot(serializeRoot(root)), root);
  assert.deepEqual(parseRoot(new TextEncoder().encode(serializeRoot(root))), root);
});

test('each bad field is named in a TRUST_INVALID error', async (t) => {
  const root = await newRoot(t);
  const keyid = Object.keys(root.signed.keys)[0] ?? '';
  const cases: Array<[string, readonly string[], unknown, RegExp]> = [
    [
      'threshold 0',
      ['signed', 'roles', 'release', 'threshold'],
      0,
      /^root\.json: signed\.roles\.release\.threshold: /,
    ],
    ['version as string', ['signed', 'version'], '2', /signed\.version: /],
    ['no expiry', ['signed', 'expires'], undefined, /signed\.expires: /],
    ['expiry not a date', ['signed', 'expires'], 'next year', /signed\.expires: /],
    ['wrong type', ['signed', '_type'], 'targets', /signed\._type: /],
    ['unknown field', ['signed', 'extra'], 1, /signed: .*extra/],
    [
      'rsa key type',
      ['signed', 'keys', keyid, 'keytype'],
      'rsa',
      new RegExp(`signed\\.keys\\.${keyid}\\.keytype: `),
    ],
    ['bad signature encoding', ['signatures', '0', 'sig'], '***', /signatures\.0\.sig: /],
    [
      'role names an undeclared key',
      ['signed', 'roles', 'root', 'keyids'],
      ['0'.repeat(64)],
      /signed\.roles\.root\.keyids\.0: key 00000000 is not in signed\.keys/,
    ],
    [
      'threshold above key count',
      ['signed', 'roles', 'root', 'threshold'],
      2,
      /signed\.roles\.root\.threshold: 2 exceeds the 1 key/,
    ],
  ];
  for (const [name, path, to, message] of cases) {
    await t.test(name, () =>
      throwsCode(() => parseRoot(JSON.stringify(withField(root, path, to))), 'TRUST_INVALID', message),
    );
  }
});

test('a key id that is not the hash of its public key is refused', async (t) => {
  const root = await newRoot(t);
  const keyid = Object.keys(root.signed.keys)[0] ?? '';
  const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const broken = withField(root, ['signed', 'keys', keyid, 'public'], other.toString('base64'));
  throwsCode(
    () => parseRoot(JSON.stringify(broken), 'roots/root.1.json'),
    'TRUST_INVALID',
    new RegExp(`^roots/root\\.1\\.json: signed\\.keys\\.${keyid}: key id does not match`),
  );
});

test('text that is not JSON or not UTF-8 is TRUST_INVALID', () => {
  throwsCode(() => parseRoot('{"signed":'), 'TRUST_INVALID', /^root\.json is not valid JSON/);
  throwsCode(() => parseRoot(new Uint8Array([0xff, 0xfe, 0x7b])), 'TRUST_INVALID', /not valid JSON/);
});

test('keyIdOf is the hex sha256 of the SPKI DER and refuses non-ed25519 keys', () => {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  assert.match(keyIdOf(der), /^[0-9a-f]{64}$/);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    format: 'der',
    type: 'spki',
  });
  throwsCode(() => keyIdOf(ec), 'TRUST_INVALID', /not ed25519/);
});

test('a malformed signature envelope is SIGNATURE_INVALID naming the field', () => {
  throwsCode(() => parseEnvelope('{"signatures":[]}'), 'SIGNATURE_INVALID', /^release\.sig: signatures: /);
  throwsCode(
    () => parseEnvelope('{"signatures":[{"keyid":"abc","sig":"AA=="}]}'),
    'SIGNATURE_INVALID',
    /signatures\.0\.keyid: /,
  );
  throwsCode(() => parseEnvelope('nope'), 'SIGNATURE_INVALID', /release\.sig is not valid JSON/);
  const keyid = 'a'.repeat(64);
  assert.deepEqual(parseEnvelope(`{"signatures":[{"keyid":"${keyid}","sig":"AA=="}]}`), {
    signatures: [{ keyid, sig: 'AA==' }],
  });
});
