// The loopback registry: serves only its images' manifests (by digest) and their blobs; the real engine pulls and runs one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { LoopbackRegistry } from '../../src/agent/loopback-registry.ts';
import { MediaType } from '../../src/oci/constants.ts';
import { sha256, type Digest } from '../../src/oci/digest.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { makeTinyImage, ociArch, type TinyImage } from '../helpers/oci-image.ts';

const run = promisify(execFile);

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 120_000 });
  return stdout;
}

describe('LoopbackRegistry', () => {
  let dir: string;
  let store: FsBlobStore;
  let image: TinyImage;
  let other: Digest;
  let index: Digest;
  let registry: LoopbackRegistry;
  const suffix = randomBytes(4).toString('hex');
  const name = `skiff-test-${suffix}/web`;
  const indexName = `skiff-test-${suffix}/multi`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-loopback-'));
    store = new FsBlobStore(dir);
    // A unique file keeps this image's id apart from any other test's, so removing it touches nothing else.
    image = await makeTinyImage(store, { files: { '/etc/skiff-test': suffix }, cmd: ['busybox', 'echo', 'hi'] });
    const stray = Buffer.from(`not served ${suffix}`);
    other = sha256(stray);
    await store.put(Readable.from([stray]), { digest: other });
    const size = (await store.stat(image.manifestDigest))?.size ?? 0;
    const indexBytes = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        { mediaType: MediaType.ociManifest, digest: image.manifestDigest, size, platform: { architecture: ociArch(), os: 'linux' } },
        { mediaType: MediaType.ociManifest, digest: sha256('absent'), size: 6, platform: { architecture: 'mips', os: 'linux' } },
      ],
    }));
    index = (await store.put(Readable.from([indexBytes]))).digest;
    registry = await LoopbackRegistry.start({
      blobs: store,
      images: new Map([
        [name, { digest: image.manifestDigest, mediaType: image.mediaType }],
        [indexName, { digest: index, mediaType: MediaType.ociIndex }],
      ]),
    });
  });

  after(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  const url = (path: string): string => `http://127.0.0.1:${registry.port}${path}`;

  it('listens on a loopback port and names pull references', () => {
    assert.ok(registry.port > 0);
    assert.equal(registry.pullRef(name, image.manifestDigest), `127.0.0.1:${registry.port}/${name}@${image.manifestDigest}`);
  });

  it('serves its manifest by digest, and nothing by tag', async () => {
    const res = await fetch(url(`/v2/${name}/manifests/${image.manifestDigest}`));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), image.manifestDigest);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), image.manifest);
    const tag = await fetch(url(`/v2/${name}/manifests/latest`));
    assert.equal(tag.status, 404);
    assert.equal(((await tag.json()) as { errors: { code: string }[] }).errors[0]?.code, 'MANIFEST_UNKNOWN');
  });

  it('serves the blobs its manifests reference and no others', async () => {
    for (const digest of [image.configDigest, ...image.layers]) {
      const res = await fetch(url(`/v2/${name}/blobs/${digest}`));
      assert.equal(res.status, 200, digest);
      assert.equal(sha256(Buffer.from(await res.arrayBuffer())), digest);
    }
    const stray = await fetch(url(`/v2/${name}/blobs/${other}`));
    assert.equal(stray.status, 404);
    assert.equal(((await stray.json()) as { errors: { code: string }[] }).errors[0]?.code, 'BLOB_UNKNOWN');
  });

  it('keeps each name to its own image', async () => {
    const res = await fetch(url(`/v2/skiff-test-${suffix}/nope/manifests/${image.manifestDigest}`));
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'NAME_UNKNOWN');
    const crossed = await fetch(url(`/v2/${name}/manifests/${index}`));
    assert.equal(crossed.status, 404);
  });

  it('serves an index, its children present in the store, and their blobs', async () => {
    const top = await fetch(url(`/v2/${indexName}/manifests/${index}`));
    assert.equal(top.status, 200);
    assert.equal(top.headers.get('content-type'), MediaType.ociIndex);
    await top.arrayBuffer();
    const child = await fetch(url(`/v2/${indexName}/manifests/${image.manifestDigest}`));
    assert.equal(child.status, 200);
    await child.arrayBuffer();
    const layer = await fetch(url(`/v2/${indexName}/blobs/${image.layers[0] ?? ''}`), { method: 'HEAD' });
    assert.equal(layer.status, 200);
    const absent = await fetch(url(`/v2/${indexName}/manifests/${sha256('absent')}`));
    assert.equal(absent.status, 404);
    await absent.arrayBuffer();
  });

  it('refuses to start on a manifest missing from the store or an invalid name', async () => {
    await assert.rejects(
      LoopbackRegistry.start({ blobs: store, images: new Map([[name, { digest: sha256('missing'), mediaType: MediaType.ociManifest }]]) }),
      (e) => isSkiffError(e, 'BLOB_UNKNOWN') && /not in the content store/.test(e.message),
    );
    await assert.rejects(
      LoopbackRegistry.start({ blobs: store, images: new Map([['Bad/Name', { digest: image.manifestDigest, mediaType: image.mediaType }]]) }),
      (e) => isSkiffError(e, 'INVALID_INPUT'),
    );
    await assert.rejects(
      LoopbackRegistry.start({ blobs: store, images: new Map([[name, { digest: image.configDigest, mediaType: MediaType.ociManifest }]]) }),
      (e) => isSkiffError(e, 'INVALID_INPUT') && /not a valid/.test(e.message),
    );
  });

  it('is readable by skopeo, which copies the exact manifest out', async () => {
    const out = join(dir, 'skopeo-layout');
    await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${registry.pullRef(name, image.manifestDigest)}`, `oci:${out}:x`], { timeout: 60_000 });
    const layout = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.equal(layout.manifests[0]?.digest, image.manifestDigest);
  });

  it('lets the real Docker Engine pull the image by digest and run it', async () => {
    await docker('info', '--format', '{{.ServerVersion}}');
    const ref = registry.pullRef(name, image.manifestDigest);
    try {
      await docker('pull', ref);
      const out = await docker('run', '--rm', '--network', 'none', ref, 'busybox', 'echo', 'hi');
      assert.equal(out.trim(), 'hi');
      assert.equal((await docker('run', '--rm', '--network', 'none', ref)).trim(), 'hi', 'the config Cmd runs');
      const id = (await docker('image', 'inspect', '--format', '{{.Id}}', ref)).trim();
      assert.equal(id, image.configDigest);
    } finally {
      await docker('image', 'rm', '--force', ref).catch(() => undefined);
    }
    await assert.rejects(docker('image', 'inspect', ref));
  });
});
