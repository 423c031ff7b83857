// Containers, networks and volumes against the real engine: health gating, label filters, logs, rename, aliases.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitHealthy, type ContainerCreateBody, type DockerEngine } from '../../src/engine/index.ts';
import { buildBusyboxImage, ensureEngine, removeLabelled, uniqueName } from '../helpers/engine.ts';

const MS = 1_000_000;

describe('DockerEngine containers', () => {
  let engine: DockerEngine;
  const run = uniqueName('run');
  const labels = { 'skiff.test': run };
  const image = `${uniqueName('skiff-test-ctr')}:1`;
  let network = '';
  let volume = '';

  const create = async (suffix: string, body: Partial<ContainerCreateBody> = {}, extraLabels: Record<string, string> = {}): Promise<string> => {
    const name = `${run}-${suffix}`;
    return engine.containerCreate(name, {
      Image: image,
      Labels: { ...labels, ...extraLabels },
      HostConfig: { NetworkMode: network },
      ...body,
    });
  };

  before(async () => {
    engine = await ensureEngine();
    await buildBusyboxImage(engine, image, { cmd: ['sleep', '600'] });
    network = `${run}_default`;
    await engine.networkCreate(network, labels);
    volume = `${run}_data`;
    await engine.volumeCreate(volume, labels);
  });
  after(async () => {
    await removeLabelled(engine, 'skiff.test', run);
    await engine.imageRemove(image, { force: true });
    await engine.close();
  });

  it('creates networks and volumes that list and inspect by label', async () => {
    const nets = await engine.networkList({ label: [`skiff.test=${run}`] });
    assert.deepEqual(nets.map((n) => n.name), [network]);
    assert.equal(nets[0]?.driver, 'bridge');
    const vols = await engine.volumeList({ label: [`skiff.test=${run}`] });
    assert.deepEqual(vols.map((v) => v.name), [volume]);
    const v = await engine.volumeInspect(volume);
    assert.equal(v?.labels['skiff.test'], run);
    assert.ok(v?.mountpoint.startsWith('/'));
  });

  it('runs a container with a passing CMD-SHELL healthcheck on a network and volume: waitHealthy ok', async () => {
    const id = await create('healthy', {
      Cmd: ['sh', '-c', 'echo ready > /data/state; sleep 600'],
      Healthcheck: { Test: ['CMD-SHELL', 'test -f /data/state'], Interval: 200 * MS, Timeout: 2000 * MS, Retries: 2 },
      HostConfig: { NetworkMode: network, Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: ['web'] } } },
    });
    await engine.containerStart(id);
    await engine.containerStart(id);
    const result = await waitHealthy(engine, id, { timeoutMs: 20_000 });
    assert.deepEqual(result, { ok: true });
    const c = await engine.containerInspect(id);
    assert.ok(c);
    assert.equal(c.name, `${run}-healthy`);
    assert.equal(c.state.running, true);
    assert.equal(c.state.health?.status, 'healthy');
    assert.ok(c.networks[network]?.aliases.includes('web'));
    assert.notEqual(c.networks[network]?.ipAddress, '');
    assert.deepEqual(c.mounts.map((m) => [m.type, m.name, m.destination]), [['volume', volume, '/data']]);
  });

  it('reports an unhealthy container with the last probe output', async () => {
    const id = await create('unhealthy', {
      Healthcheck: { Test: ['CMD-SHELL', 'echo "probe says: db down"; exit 3'], Interval: 200 * MS, Retries: 2 },
    });
    await engine.containerStart(id);
    const result = await waitHealthy(engine, id, { timeoutMs: 20_000 });
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.match(result.reason, /unhealthy/);
    assert.match(result.reason, /exited 3: probe says: db down$/);
    assert.ok(!result.reason.includes('\n'));
  });

  it('reports a container that exits, with its exit code', async () => {
    const id = await create('exits', { Cmd: ['sh', '-c', 'exit 7'] });
    await engine.containerStart(id);
    const result = await waitHealthy(engine, id, { timeoutMs: 10_000, pollMs: 100 });
    assert.ok(!result.ok);
    assert.match(result.reason, /exited \(exit code 7\)/);
  });

  it('reports a crash-looping container under a restart policy', async () => {
    const id = await create('crashloop', {
      Cmd: ['sh', '-c', 'sleep 0.3; exit 4'],
      HostConfig: { NetworkMode: network, RestartPolicy: { Name: 'always' } },
    });
    await engine.containerStart(id);
    const result = await waitHealthy(engine, id, { timeoutMs: 10_000, pollMs: 100 });
    assert.ok(!result.ok);
    assert.match(result.reason, /restart/);
    await engine.containerRemove(id, { force: true });
  });

  it('waits for a container to exit and returns its code', async () => {
    const id = await create('wait', { Cmd: ['sh', '-c', 'sleep 0.2; exit 5'] });
    await engine.containerStart(id);
    assert.equal(await engine.containerWait(id), 5);
  });

  it('accepts a container without healthcheck once it keeps running, and times out one that stays starting', async () => {
    const plain = await create('plain');
    await engine.containerStart(plain);
    assert.deepEqual(await waitHealthy(engine, plain, { timeoutMs: 10_000 }), { ok: true });

    const slow = await create('slow', {
      Healthcheck: { Test: ['CMD-SHELL', 'echo not yet; exit 1'], Interval: 200 * MS, Retries: 1000, StartPeriod: 60_000 * MS },
    });
    await engine.containerStart(slow);
    const result = await waitHealthy(engine, slow, { timeoutMs: 1500 });
    assert.ok(!result.ok);
    assert.match(result.reason, /^timed out after \d+ s: container .* is starting: /);
  });

  it('filters containers by label', async () => {
    const a = await create('label-a', {}, { 'skiff.service': 'api' });
    const b = await create('label-b', {}, { 'skiff.service': 'worker' });
    const api = await engine.containerList({ label: [`skiff.test=${run}`, 'skiff.service=api'] });
    assert.deepEqual(api.map((c) => c.id), [a]);
    assert.deepEqual(api[0]?.names, [`${run}-label-a`]);
    assert.equal(api[0]?.labels['skiff.service'], 'api');
    assert.equal(api[0]?.image, image);
    assert.equal(api[0]?.state, 'created');
    const both = await engine.containerList({ label: [`skiff.test=${run}`, 'skiff.service'] });
    assert.deepEqual(both.map((c) => c.id).sort(), [a, b].sort());
    assert.deepEqual(await engine.containerList({ label: [`skiff.test=${run}`, 'skiff.service=api'] }, false), []);
  });

  it('demultiplexes stdout and stderr logs, with tail', async () => {
    const id = await create('logs', { Cmd: ['sh', '-c', 'echo out-1; echo err-1 >&2; sleep 0.3; echo out-2'] });
    await engine.containerStart(id);
    const deadline = Date.now() + 10_000;
    while ((await engine.containerInspect(id))?.state.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const logs = await engine.containerLogs(id);
    assert.deepEqual(logs.split('\n').filter(Boolean).sort(), ['err-1', 'out-1', 'out-2']);
    assert.equal(await engine.containerLogs(id, { tail: 1 }), 'out-2\n');
    assert.equal(await engine.containerLogs(id, { stderr: false }), 'out-1\nout-2\n');
  });

  it('renames, connects to a second network with aliases, stops and removes', async () => {
    const id = await create('old');
    await engine.containerStart(id);
    await engine.containerRename(id, `${run}-new`);
    assert.equal((await engine.containerInspect(`${run}-new`))?.id, id);
    const second = `${run}_second`;
    await engine.networkCreate(second, labels);
    await engine.networkConnect(second, id, ['db', 'db-primary']);
    const c = await engine.containerInspect(id);
    assert.ok(c?.networks[second]?.aliases.includes('db-primary'));
    await engine.containerStop(id, 0);
    await engine.containerStop(id, 0);
    const stopped = await engine.containerInspect(id);
    assert.equal(stopped?.state.running, false);
    await engine.containerRemove(id);
    await engine.containerRemove(id);
    assert.equal(await engine.containerInspect(id), undefined);
    await engine.networkRemove(second);
    assert.deepEqual(await engine.networkList({ name: [second] }), []);
  });
});
