// Unit tests for the pull API's formats: byte ranges, repository names and references, manifest references.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MediaType } from '../../src/oci/constants.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { isRepositoryName, manifestReferences, parseRange, parseReference } from '../../src/oci/distribution/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';

describe('parseRange', () => {
  it('reads closed, open-ended and suffix ranges', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-1000', 100), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=50-1000', 100), { start: 50, end: 99 });
  });

  it('answers unsatisfiable for ranges past the end', () => {
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=100-200', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  });

  it('ignores absent, malformed and multi-range headers', () => {
    for (const h of [undefined, 'bytes=', 'bytes=-', 'items=0-1', 'bytes=5-2', 'bytes=0-1,3-4', 'bytes=a-b'])
      assert.equal(parseRange(h, 100), undefined, String(h));
  });
});

describe('names and references', () => {
  it('accepts spec names and refuses others', () => {
    for (const n of ['app', 'acme/app', 'a.b/c_d/e__f/g--h', 'x0/y1']) assert.ok(isRepositoryName(n), n);
    for (const n of ['', 'App', 'a//b', '/a', 'a/', 'a..b', 'a_-b', '-a', `a/${'b'.repeat(255)}`]) assert.ok(!isRepositoryName(n), n);
  });

  it('tells digests from tags', () => {
    const d = sha256('x');
    assert.deepEqual(parseReference(d), { kind: 'digest', digest: d });
    assert.deepEqual(parseReference('v1.2.3'), { kind: 'tag', tag: 'v1.2.3' });
    assert.equal(parseReference('sha256:zz'), 'invalid-digest');
    assert.equal(parseReference('.bad'), undefined);
  });
});

describe('manifestReferences', () => {
  const desc = (s: string, mediaType: string) => ({ mediaType, digest: sha256(s), size: s.length });

  it('lists config and layers of OCI and Docker image manifests', () => {
    for (const [mt, cfg, layer] of [
      [MediaType.ociManifest, MediaType.ociConfig, MediaType.ociLayerGzip],
      [MediaType.dockerManifest, MediaType.dockerConfig, MediaType.dockerLayerGzip],
    ] as const) {
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mt, config: desc('c', cfg), layers: [desc('l1', layer), desc('l2', layer)] }));
      const refs = manifestReferences(bytes, mt);
      assert.deepEqual(refs.blobs.map((b) => b.digest), [sha256('c'), sha256('l1'), sha256('l2')]);
      assert.equal(refs.manifests.length, 0);
    }
  });

  it('lists the children of an index', () => {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [desc('m', MediaType.ociManifest)] }));
    const refs = manifestReferences(bytes, MediaType.ociIndex);
    assert.deepEqual(refs.manifests.map((m) => m.digest), [sha256('m')]);
    assert.equal(refs.blobs.length, 0);
  });

  it('refuses bad JSON, bad shapes, mismatched and unknown media types with INVALID_INPUT', () => {
    const ok = { schemaVersion: 2, config: desc('c', MediaType.ociConfig), layers: [] };
    const cases: [unknown, string][] = [
      ['{not json', MediaType.ociManifest],
      [{ ...ok, layers: [{ mediaType: 'x', digest: 'sha256:nope', size: 1 }] }, MediaType.ociManifest],
      [{ ...ok, schemaVersion: 1 }, MediaType.ociManifest],
      [{ ...ok, mediaType: MediaType.dockerManifest }, MediaType.ociManifest],
      [ok, 'application/json'],
    ];
    for (const [value, mt] of cases) {
      const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
      assert.throws(() => manifestReferences(bytes, mt, 'test manifest'), (e) => isSkiffError(e, 'INVALID_INPUT') && e.message.startsWith('test manifest'));
    }
  });
});
