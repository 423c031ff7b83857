// The /v2/ pull plugin through app.inject(): ping, manifests, blobs, ranges, errors, push refusal, auth seam.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { distributionPlugin, type PullResolver } from '../../src/oci/distribution/index.ts';
import { sha256, type Digest } from '../../src/oci/digest.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { SkiffError } from '../../src/util/errors.ts';
import { makeTinyImage, type TinyImage } from '../helpers/oci-image.ts';

const NAME = 'acme/app.web';

describe('distributionPlugin', () => {
  let dir: string;
  let store: FsBlobStore;
  let image: TinyImage;
  let hidden: Digest;
  let app: FastifyInstance;
  const visible = new Set<Digest>();

  const resolver: PullResolver = {
    async resolveManifest(name, reference) {
      if (name !== NAME) throw new SkiffError('NOT_FOUND', `no repository ${name}`);
      if (reference === 'v1' || reference === image.manifestDigest) return { digest: image.manifestDigest, mediaType: image.mediaType };
      return undefined;
    },
    async blobVisible(name, digest) {
      return name === NAME && visible.has(digest);
    },
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-dist-'));
    store = new FsBlobStore(dir);
    image = await makeTinyImage(store, { files: { '/etc/greeting': 'hello' } });
    visible.add(image.configDigest).add(image.layers[0] as Digest);
    const secret = Buffer.from('a blob the store has but this name does not serve');
    hidden = sha256(secret);
    await store.put(Readable.from([secret]), { digest: hidden });
    app = Fastify({ logger: false });
    await app.register(distributionPlugin, { blobs: store, resolver });
    await app.ready();
  });

  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the /v2/ ping with {} and the API version header', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {});
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
  });

  it('serves a manifest by digest with its exact bytes and headers', async () => {
    const res = await app.inject({ method: 'GET', url: `/v2/${NAME}/manifests/${image.manifestDigest}` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.rawPayload, image.manifest);
    assert.equal(res.headers['content-type'], image.mediaType);
    assert.equal(res.headers['docker-content-digest'], image.manifestDigest);
    assert.equal(res.headers['content-length'], String(image.manifest.length));
    assert.equal(res.headers.etag, `"${image.manifestDigest}"`);
  });

  it('serves a manifest by tag when the resolver knows it', async () => {
    const res = await app.inject({ method: 'GET', url: `/v2/${NAME}/manifests/v1` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['docker-content-digest'], image.manifestDigest);
  });

  it('answers HEAD on a manifest with headers and no body', async () => {
    const res = await app.inject({ method: 'HEAD', url: `/v2/${NAME}/manifests/${image.manifestDigest}` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.rawPayload.length, 0);
    assert.equal(res.headers['content-length'], String(image.manifest.length));
    assert.equal(res.headers['docker-content-digest'], image.manifestDigest);
    assert.equal(res.headers['content-type'], image.mediaType);
  });

  it('answers 304 when If-None-Match carries the digest', async () => {
    const res = await app.inject({ method: 'GET', url: `/v2/${NAME}/manifests/${image.manifestDigest}`, headers: { 'if-none-match': `"${image.manifestDigest}"` } });
    assert.equal(res.statusCode, 304);
    assert.equal(res.rawPayload.length, 0);
  });

  it('answers 404 MANIFEST_UNKNOWN for an unknown manifest, NAME_UNKNOWN for an unknown name', async () => {
    const res = await app.inject({ method: 'GET', url: `/v2/${NAME}/manifests/${hidden}` });
    assert.equal(res.statusCode, 404);
    const body = res.json<{ errors: { code: string; message: string }[] }>();
    assert.equal(body.errors.length, 1);
    assert.equal(body.errors[0]?.code, 'MANIFEST_UNKNOWN');
    assert.match(body.errors[0]?.message ?? '', /unknown/);
    const tag = await app.inject({ method: 'GET', url: `/v2/${NAME}/manifests/latest` });
    assert.equal(tag.json<{ errors: { code: string }[] }>().errors[0]?.code, 'MANIFEST_UNKNOWN');
    const name = await app.inject({ method: 'GET', url: `/v2/other/app/manifests/${image.manifestDigest}` });
    assert.equal(name.statusCode, 404);
    assert.equal(name.json<{ errors: { code: string }[] }>().errors[0]?.code, 'NAME_UNKNOWN');
  });

  it('serves a blob with GET and HEAD', async () => {
    const layer = image.layers[0] as Digest;
    const size = (await store.stat(layer))?.size;
    const res = await app.inject({ method: 'GET', url: `/v2/${NAME}/blobs/${layer}` });
    assert.equal(res.statusCode, 200);
    assert.equal(sha256(res.rawPayload), layer);
    assert.equal(res.headers['content-length'], String(size));
    assert.equal(res.headers['docker-content-digest'], layer);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['accept-ranges'], 'bytes');
    const head = await app.inject({ method: 'HEAD', url: `/v2/${NAME}/blobs/${layer}` });
    assert.equal(head.statusCode, 200);
    assert.equal(head.rawPayload.length, 0);
    assert.equal(head.headers['content-length'], String(size));
  });

  it('serves byte ranges with 206 and Content-Range', async () => {
    const layer = image.layers[0] as Digest;
    const full = (await app.inject({ method: 'GET', url: `/v2/${NAME}/blobs/${layer}` })).rawPayload;
    const res = await app.inject({ method: 'GET', url: `/v2/${NAME}/blobs/${layer}`, headers: { range: 'bytes=10-99' } });
    assert.equal(res.statusCode, 206);
    assert.equal(res.headers['content-range'], `bytes 10-99/${full.length}`);
    assert.equal(res.headers['content-length'], '90');
    assert.deepEqual(res.rawPayload, full.subarray(10, 100));
    const tail = await app.inject({ method: 'GET', url: `/v2/${NAME}/blobs/${layer}`, headers: { range: 'bytes=-5' } });
    assert.equal(tail.statusCode, 206);
    assert.deepEqual(tail.rawPayload, full.subarray(full.length - 5));
    const open = await app.inject({ method: 'GET', url: `/v2/${NAME}/blobs/${layer}`, headers: { range: `bytes=${full.length - 3}-` } });
    assert.equal(open.headers['content-range'], `bytes ${full.length - 3}-${full.length - 1}/${full.length}`);
    assert.deepEqual(open.rawPayload, full.subarray(full.length - 3));
  });

  it('answers 416 with Content-Range for an unsatisfiable range', async () => {
    const layer = image.layers[0] as Digest;
    const size = (await store.stat(layer))?.size ?? 0;
    const res = await app.inject({ method: 'GET', url: `/v2/${NAME}/blobs/${layer}`, headers: { range: `bytes=${size}-` } });
    assert.equal(res.statusCode, 416);
    assert.equal(res.headers['content-range'], `bytes */${size}`);
    assert.ok(Array.isArray(res.json<{ errors: unknown[] }>().errors));
  });

  it('answers 400 DIGEST_INVALID for a malformed digest', async () => {
    for (const url of [`/v2/${NAME}/blobs/sha256:xyz`, `/v2/${NAME}/blobs/md5:abc`, `/v2/${NAME}/manifests/sha256:ABC`]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 400, url);
      assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'DIGEST_INVALID');
    }
  });

  it('answers 400 NAME_INVALID for a name outside the spec', async () => {
    const res = await app.inject({ method: 'GET', url: `/v2/Acme/App/blobs/${hidden}` });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'NAME_INVALID');
  });

  it('answers 404 BLOB_UNKNOWN for a blob the store has but the name does not serve', async () => {
    assert.ok(await store.has(hidden));
    const res = await app.inject({ method: 'GET', url: `/v2/${NAME}/blobs/${hidden}` });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'BLOB_UNKNOWN');
  });

  it('refuses every push method with 405 UNSUPPORTED', async () => {
    const urls = [`/v2/${NAME}/blobs/uploads/`, `/v2/${NAME}/manifests/v2`, `/v2/${NAME}/blobs/${hidden}`];
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      for (const url of urls) {
        const res = await app.inject({ method, url, payload: method === 'DELETE' ? undefined : 'x', headers: { 'content-type': 'application/octet-stream' } });
        assert.equal(res.statusCode, 405, `${method} ${url}`);
        assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'UNSUPPORTED');
        assert.equal(res.headers.allow, 'GET, HEAD');
      }
    }
    assert.ok(await store.has(hidden));
  });

  it('answers 404 on paths that are not pull endpoints', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/_catalog' });
    assert.equal(res.statusCode, 404);
    assert.ok(Array.isArray(res.json<{ errors: unknown[] }>().errors));
  });
});

describe('distributionPlugin authentication seam', () => {
  let app: FastifyInstance;
  const seen: unknown[] = [];

  before(async () => {
    const resolver: PullResolver = {
      async resolveManifest(_name, _reference, ctx) {
        seen.push(ctx);
        return undefined;
      },
      async blobVisible() {
        return false;
      },
    };
    app = Fastify({ logger: false });
    await app.register(distributionPlugin, {
      blobs: new FsBlobStore(join(tmpdir(), `skiff-dist-empty-${process.pid}`)),
      resolver,
      authenticate: async (req) => {
        const auth = req.headers.authorization;
        if (auth === undefined) throw new SkiffError('UNAUTHORIZED', 'a customer token is required: docker login first');
        if (auth !== 'Bearer good') throw new SkiffError('FORBIDDEN', 'this token may not pull');
        return { customer: 'c1' };
      },
      challenge: () => 'Bearer realm="https://hub.example/token",service="hub.example"',
    });
    await app.ready();
  });

  after(async () => app.close());

  it('answers 401 UNAUTHORIZED with the WWW-Authenticate challenge', async () => {
    for (const url of ['/v2/', `/v2/${NAME}/manifests/v1`]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="https://hub.example/token",service="hub.example"');
      assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
      const body = res.json<{ errors: { code: string; message: string }[] }>();
      assert.equal(body.errors[0]?.code, 'UNAUTHORIZED');
      assert.match(body.errors[0]?.message ?? '', /docker login/);
    }
  });

  it('answers 403 DENIED when authenticate forbids', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/', headers: { authorization: 'Bearer bad' } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'DENIED');
  });

  it('passes the authenticated context to the resolver', async () => {
    const res = await app.inject({ method: 'GET', url: `/v2/${NAME}/manifests/v1`, headers: { authorization: 'Bearer good' } });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(seen.at(-1), { customer: 'c1' });
  });
});
