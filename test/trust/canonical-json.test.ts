// Canonical JSON: sorted keys, no whitespace, RFC 8785 numbers and strings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalBytes, canonicalJson } from '../../src/trust/index.ts';
import { throwsCode } from './fixtures.ts';

test('keys are sorted at every depth and whitespace is dropped', () => {
  const value = { b: 1, a: { z: [3, { y: true, x: null }], c: 'd' }, '': 0 };
  assert.equal(canonicalJson(value), '{"":0,"a":{"c":"d","z":[3,{"x":null,"y":true}]},"b":1}');
});

test('the same value in any key order yields the same bytes', () => {
  const one = canonicalJson({ version: 1, app: 'netmon', images: { web: 'a', db: 'b' } });
  const two = canonicalJson({ images: { db: 'b', web: 'a' }, app: 'netmon', version: 1 });
  assert.equal(one, two);
  assert.deepEqual(canonicalBytes({ b: 1, a: 2 }), new TextEncoder().encode('{"a":2,"b":1}'));
});

test('keys sort by UTF-16 code units and numbers use the ECMAScript form', () => {
  assert.equal(
    canonicalJson({ '\u00e9': 1, z: 2, Z: 3, '10': 4, '9': 5 }),
    '{"10":4,"9":5,"Z":3,"z":2,"\u00e9":1}',
  );
  assert.equal(canonicalJson([1.0, 1e21, 0.1, -0, 1e-7]), '[1,1e+21,0.1,0,1e-7]');
});

test('undefined has no canonical form', () => {
  throwsCode(() => canonicalJson(undefined), 'INVALID_INPUT');
});
