// A full bundle is a standard OCI image layout: skopeo loads each service's image into the engine, same image id.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { makeBundleFixture, type BundleFixture } from './fixture.ts';

const run = promisify(execFile);

let fx: BundleFixture;
const loaded: string[] = [];

before(async () => {
  fx = await makeBundleFixture('skskopeo');
});

after(async () => {
  for (const tag of loaded) await fx?.vendor.engine.imageRemove(tag, { force: true }).catch(() => undefined);
  await fx?.vendor.cleanup();
});

test('skopeo copies every service of a full bundle into the engine; the image id is the release configDigest', async () => {
  const { file } = await fx.write('skopeo.skiff', fx.v2);
  for (const [service, img] of Object.entries(fx.v2.manifest.images)) {
    const tag = `skiff-test/${fx.vendor.app}-copied:${service}`;
    loaded.push(tag);
    await run('skopeo', ['copy', '--quiet', `oci-archive:${file}:${service}`, `docker-daemon:${tag}`], {
      timeout: 120_000,
    });
    const inspect = await fx.vendor.engine.imageInspect(tag);
    assert.ok(inspect, `${tag} is in the engine`);
    assert.equal(inspect.id, img.configDigest, `${service}: the loaded image is the released one`);
  }
});

test('skopeo reads the bundle layout: inspect shows the service image and its layers', async () => {
  const { file } = await fx.write('skopeo-inspect.skiff', fx.v2);
  const { stdout } = await run('skopeo', ['inspect', '--raw', `oci-archive:${file}:web`], {
    timeout: 60_000,
  });
  const manifest = JSON.parse(stdout) as { config: { digest: string }; layers: unknown[] };
  assert.equal(manifest.config.digest, fx.v2.manifest.images['web']?.configDigest);
  assert.equal(manifest.layers.length, 2);
});
