// The engine client against the real Docker Engine: connection, version negotiation, unavailable engine, failed pulls.
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request, Agent } from 'undici';
import { DockerEngine, MAX_API_VERSION, MIN_API_VERSION, compareApiVersions } from '../../src/engine/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { ensureEngine, uniqueName } from '../helpers/engine.ts';
import { freePort } from '../helpers/ports.ts';

async function serverApiVersion(): Promise<string> {
  const agent = new Agent({ connect: { socketPath: '/var/run/docker.sock' } });
  try {
    const res = await request('http://docker/version', { dispatcher: agent });
    const body = (await res.body.json()) as { ApiVersion: string };
    return body.ApiVersion;
  } finally {
    await agent.close();
  }
}

describe('DockerEngine connection', () => {
  let engine: DockerEngine;
  before(async () => {
    engine = await ensureEngine();
  });
  after(async () => {
    await engine.close();
  });

  it('negotiates a version no newer than the server and within ours', async () => {
    const server = await serverApiVersion();
    assert.ok(compareApiVersions(engine.apiVersion, server) <= 0, `${engine.apiVersion} <= ${server}`);
    assert.ok(compareApiVersions(engine.apiVersion, MAX_API_VERSION) <= 0);
    assert.ok(compareApiVersions(engine.apiVersion, MIN_API_VERSION) >= 0);
    if (compareApiVersions(server, MAX_API_VERSION) <= 0) assert.equal(engine.apiVersion, server);
    assert.notEqual(engine.serverVersion, '');
  });

  it('pings and reports engine info', async () => {
    await engine.ping();
    const info = await engine.info();
    assert.ok(path.isAbsolute(info.dockerRootDir), info.dockerRootDir);
    assert.ok(info.ncpu > 0);
    assert.equal(info.serverVersion, engine.serverVersion);
  });

  it('answers ENGINE_UNAVAILABLE with a one-line fix for a socket nobody listens on', async () => {
    const socketPath = path.join(os.tmpdir(), `${uniqueName('skiff-nosock')}.sock`);
    await assert.rejects(DockerEngine.connect({ socketPath }), (e) => {
      assert.ok(isSkiffError(e, 'ENGINE_UNAVAILABLE'), String(e));
      assert.equal(e.message, `Docker Engine does not answer on unix://${socketPath}: start it (dockerd) or set DOCKER_HOST`);
      return true;
    });
  });

  it('honours DOCKER_HOST', async () => {
    const saved = process.env['DOCKER_HOST'];
    process.env['DOCKER_HOST'] = 'unix:///nonexistent/skiff/docker.sock';
    try {
      await assert.rejects(DockerEngine.connect(), (e) => isSkiffError(e, 'ENGINE_UNAVAILABLE') && e.message.includes('unix:///nonexistent/skiff/docker.sock'));
      process.env['DOCKER_HOST'] = 'ssh://somewhere';
      await assert.rejects(DockerEngine.connect(), (e) => isSkiffError(e, 'ENGINE_UNAVAILABLE') && e.message.includes('not supported'));
    } finally {
      if (saved === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = saved;
    }
  });

  it('aborts a call when its signal fires', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(engine.info(ac.signal), (e: unknown) => e instanceof Error && e.name === 'AbortError');
  });

  it('reports a pull from a registry nobody runs as a one-line ENGINE_ERROR', async () => {
    const ref = `127.0.0.1:${await freePort()}/skiff-test/${uniqueName('none')}:1`;
    const events: unknown[] = [];
    await assert.rejects(engine.imagePull(ref, (ev) => events.push(ev)), (e) => {
      assert.ok(isSkiffError(e, 'ENGINE_ERROR'), String(e));
      assert.ok(!e.message.includes('\n'), e.message);
      assert.match(e.message, /^Docker Engine: pull of 127\.0\.0\.1:\d+\/skiff-test\/.* failed: /);
      assert.match(e.message, /127\.0\.0\.1/);
      return true;
    });
  });

  it('answers undefined for missing objects and ignores removing them', async () => {
    const name = uniqueName('skiff-missing');
    assert.equal(await engine.imageInspect(`${name}:1`), undefined);
    assert.equal(await engine.containerInspect(name), undefined);
    assert.equal(await engine.volumeInspect(name), undefined);
    await engine.imageRemove(`${name}:1`);
    await engine.containerRemove(name, { force: true });
    await engine.networkRemove(name);
    await engine.volumeRemove(name);
  });

  it('turns an API error into ENGINE_ERROR carrying the engine message', async () => {
    await assert.rejects(engine.containerStart(uniqueName('skiff-missing')), (e) => {
      assert.ok(isSkiffError(e, 'ENGINE_ERROR'), String(e));
      assert.match(e.message, /^Docker Engine: No such container/i);
      return true;
    });
  });
});
