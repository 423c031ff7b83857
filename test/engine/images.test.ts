// Image calls against the real engine: deterministic busybox imports, layered builds, inspect, export, tag, list, remove.
import assert from 'node:assert/strict';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import type { DockerEngine } from '../../src/engine/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { buildBusyboxImage, buildLayeredImage, ensureEngine, uniqueName } from '../helpers/engine.ts';

describe('DockerEngine images', () => {
  let engine: DockerEngine;
  const repo = uniqueName('skiff-test-img');
  const tags: string[] = [];
  const tagOf = (t: string): string => {
    const ref = `${repo}:${t}`;
    tags.push(ref);
    return ref;
  };

  before(async () => {
    engine = await ensureEngine();
  });
  after(async () => {
    for (const ref of tags.reverse()) await engine.imageRemove(ref, { force: true });
    await engine.close();
  });

  it('builds the same layer twice from the same files, a different one from different files', async () => {
    const files = { 'www/index.html': 'hello\n' };
    const a = await buildBusyboxImage(engine, tagOf('a'), { files, cmd: ['httpd', '-f'] });
    const b = await buildBusyboxImage(engine, tagOf('b'), { files, cmd: ['sleep', '1'] });
    const c = await buildBusyboxImage(engine, tagOf('c'), { files: { 'www/index.html': 'changed\n' } });
    const [ia, ib, ic] = await Promise.all([a, b, c].map((x) => engine.imageInspect(x.id)));
    assert.ok(ia && ib && ic);
    assert.equal(ia.rootfsLayers.length, 1);
    assert.deepEqual(ia.rootfsLayers, ib.rootfsLayers);
    assert.notDeepEqual(ia.rootfsLayers, ic.rootfsLayers);
    assert.notEqual(a.id, b.id, 'different CMD gives a different config');
  });

  it('inspects an image with its config', async () => {
    const ref = tagOf('inspect');
    const { id } = await buildBusyboxImage(engine, ref, {
      cmd: ['sleep', '60'],
      env: ['GREETING=hello world'],
      labels: { 'skiff.test': 'yes' },
      expose: ['8080/tcp'],
      workdir: '/data',
      healthcheck: { shell: 'test -d /data', intervalMs: 500, retries: 3 },
    });
    const image = await engine.imageInspect(ref);
    assert.ok(image);
    assert.equal(image.id, id);
    assert.match(image.id, /^sha256:[a-f0-9]{64}$/);
    assert.deepEqual(image.repoTags, [ref]);
    assert.deepEqual(image.repoDigests, []);
    assert.equal(image.os, 'linux');
    assert.notEqual(image.architecture, '');
    assert.ok(image.size > 100_000);
    assert.deepEqual(image.config.cmd, ['sleep', '60']);
    assert.ok(image.config.env.includes('GREETING=hello world'));
    assert.equal(image.config.labels['skiff.test'], 'yes');
    assert.deepEqual(image.config.exposedPorts, ['8080/tcp']);
    assert.equal(image.config.workingDir, '/data');
    assert.deepEqual(image.config.healthcheck?.Test, ['CMD-SHELL', 'test -d /data']);
    assert.equal(image.config.healthcheck?.Interval, 500_000_000);
  });

  it('builds a layered image whose base layer is shared', async () => {
    const base = tagOf('base');
    await buildBusyboxImage(engine, base);
    const top = tagOf('top');
    const { id } = await buildLayeredImage(engine, top, base, { 'app/run.sh': '#!/bin/sh\necho run\n' }, { cmd: ['/app/run.sh'] });
    const [ib, it2] = await Promise.all([engine.imageInspect(base), engine.imageInspect(top)]);
    assert.ok(ib && it2);
    assert.equal(it2.id, id);
    assert.equal(it2.rootfsLayers.length, 2);
    assert.equal(it2.rootfsLayers[0], ib.rootfsLayers[0]);
    assert.deepEqual(it2.config.cmd, ['/app/run.sh']);
  });

  it('exports a docker-save tar stream holding manifest.json or index.json', async () => {
    const ref = tagOf('export');
    await buildBusyboxImage(engine, ref);
    const names: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      names.push(header.name);
      stream.on('end', next);
      stream.resume();
    });
    await pipeline(await engine.imageExport(ref), extract);
    assert.ok(names.includes('manifest.json') || names.includes('index.json'), names.join(', '));
  });

  it('tags, lists by reference and label, and removes', async () => {
    const ref = tagOf('orig');
    const { id } = await buildBusyboxImage(engine, ref, { labels: { 'skiff.test.repo': repo } });
    await engine.imageTag(ref, repo, 'copy');
    tags.push(`${repo}:copy`);
    const byRef = await engine.imageList({ reference: [`${repo}:copy`] });
    assert.equal(byRef.length, 1);
    assert.equal(byRef[0]?.id, id);
    assert.ok(byRef[0]?.repoTags.includes(`${repo}:copy`));
    assert.deepEqual([...((await engine.imageInspect(id))?.repoTags ?? [])].sort(), [`${repo}:copy`, ref].sort());
    const byLabel = await engine.imageList({ label: [`skiff.test.repo=${repo}`] });
    assert.deepEqual(byLabel.map((i) => i.id), [id]);
    assert.equal(byLabel[0]?.labels['skiff.test.repo'], repo);
    await engine.imageRemove(`${repo}:copy`);
    assert.deepEqual((await engine.imageInspect(id))?.repoTags, [ref]);
    await engine.imageRemove(ref);
    assert.equal(await engine.imageInspect(id), undefined);
  });

  it('refuses to remove an image a container uses (409 → ENGINE_ERROR)', async () => {
    const ref = tagOf('inuse');
    await buildBusyboxImage(engine, ref);
    const name = uniqueName('skiff-test-inuse');
    const cid = await engine.containerCreate(name, { Image: ref, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    try {
      await assert.rejects(engine.imageRemove(ref), (e) => {
        assert.ok(isSkiffError(e, 'ENGINE_ERROR'), String(e));
        assert.match(e.message, /conflict|being used/i);
        return true;
      });
    } finally {
      await engine.containerRemove(cid, { force: true });
    }
  });
});
