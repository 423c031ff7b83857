// Two real `skiff hub serve` processes on one PostgreSQL database and one blob registry: what one replica takes in, the other serves.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { StoredRelease } from '../../src/release/index.ts';
import { dockerCli, runCli, type CliResult } from '../helpers/docker-cli.ts';
import { hubInit, startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

const SKIFF = fileURLToPath(new URL('../../bin/skiff.js', import.meta.url));

describe('hub replicas on one PostgreSQL database and one blob registry', () => {
  let pg: TempDatabase;
  let registry: TestRegistry;
  let dirs: string[];
  let replicas: HubProcess[];
  let vendor: Vendor;
  let release: StoredRelease;
  let adminToken: string;

  /** The real CLI against one replica; fails the test on a non-zero exit. */
  const skiff = async (replica: HubProcess, ...args: string[]): Promise<CliResult> => {
    const r = await runCli(process.execPath, [SKIFF, ...args, '--hub', replica.url, '--token', adminToken]);
    assert.equal(r.code, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  before(async () => {
    [pg, registry] = await Promise.all([tempDatabase(), startRegistry()]);
    dirs = [await mkdtemp(path.join(os.tmpdir(), 'skiff-replica1-')), await mkdtemp(path.join(os.tmpdir(), 'skiff-replica2-'))];
    adminToken = (await hubInit({ data: dirs[0] ?? '', database: pg.url })).token;
    replicas = await Promise.all(dirs.map((data) => startHubProcess({ data, database: pg.url, blobRegistry: registry.url })));
    vendor = await makeVendor('skr');
    release = await vendor.createVersion('1.0.0');
    // Pulls below must download from the hub, not find the vendor's own images.
    for (const tag of [vendor.webImage('1.0.0'), vendor.workerImage, `skiff-test/${vendor.app}-base:1`]) await runCli('docker', ['rmi', '-f', tag]);
  });

  after(async () => {
    for (const r of replicas ?? []) await r.stop();
    await vendor?.cleanup();
    await registry?.stop();
    await pg?.drop();
    for (const d of dirs ?? []) await rm(d, { recursive: true, force: true });
  });

  it('takes a release in through replica 1 and serves it to a customer through replica 2', async () => {
    const [r1, r2] = replicas;
    assert.ok(r1 && r2);
    await skiff(r1, 'app', 'create', vendor.app, '--root', vendor.rootJson);
    const pushed = await skiff(r1, 'release', 'push', `${vendor.app}@1.0.0`, '--store', vendor.storeDir);
    assert.match(pushed.stdout, new RegExp(`release digest: ${release.digest}`));
    await skiff(r1, 'channel', 'promote', `${vendor.app}@1.0.0`, 'stable');
    const created = await skiff(r2, 'customer', 'create', 'replica-customer', '--entitle', `${vendor.app}:stable`);
    const token = /customer token: (skc_\S+)/.exec(created.stdout)?.[1];
    assert.ok(token, created.stdout);

    const shown = await fetch(`${r2.url}/api/v1/apps/${vendor.app}/releases/1.0.0`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(shown.status, 200);
    const body = (await shown.json()) as { digest: string; manifest: string };
    assert.equal(body.digest, release.digest);
    assert.ok(Buffer.from(body.manifest, 'base64').equals(release.bytes), 'replica 2 serves the release manifest replica 1 took in');

    const web = release.manifest.images.web;
    const worker = release.manifest.images.worker;
    assert.ok(web && worker);
    const manifest = await fetch(`${r2.url}/v2/${vendor.app}/web/manifests/1.0.0`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('docker-content-digest'), web.manifestDigest);
    await manifest.body?.cancel();

    const cli = await dockerCli();
    try {
      const host = new URL(r2.url).host;
      assert.equal((await cli.login(host, token)).code, 0);
      const webRef = `${host}/${vendor.app}/web:1.0.0`;
      const workerRef = `${host}/${vendor.app}/worker@${worker.manifestDigest}`;
      for (const ref of [webRef, workerRef]) {
        const pull = await cli.pull(ref);
        assert.equal(pull.code, 0, `docker pull ${ref}: ${pull.stderr}`);
      }
      assert.equal(await cli.imageId(webRef), web.configDigest);
      assert.equal(await cli.imageId(workerRef), worker.configDigest);
    } finally {
      await cli.cleanup();
    }

    for (const data of dirs) {
      const store = await readdir(path.join(data, 'store')).catch(() => []);
      assert.deepEqual(store, [], `no blob was written under a replica's data dir (${store.join(', ')})`);
    }
    const audit = await runCli(process.execPath, [SKIFF, 'hub', 'audit', 'verify', '--data', dirs[1] ?? '', '--database', pg.url]);
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /audit log intact: \d+ entries/);
  });

  it('refuses to start when the blob registry does not answer, naming the flag', async () => {
    const down = await runCli(process.execPath, [SKIFF, 'hub', 'serve', '--data', dirs[1] ?? '', '--database', pg.url, '--listen', '127.0.0.1:0', '--blob-registry', 'http://127.0.0.1:1']);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /^skiff: --blob-registry http:\/\/127\.0\.0\.1:1 cannot be used: blob registry .* does not answer .*\n$/);
    const bad = await runCli(process.execPath, [SKIFF, 'hub', 'serve', '--data', dirs[1] ?? '', '--database', pg.url, '--listen', '127.0.0.1:0', '--blob-registry', 'ftp://x/y']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^skiff: --blob-registry "ftp:\/\/x\/y" is not a registry URL/);
  });
});
