// The hub's /v2/ pull API with the real docker CLI and skopeo: two customers with different entitlements, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initHub } from '../../src/hub/init.ts';
import { startHubServer, type RunningHub } from '../../src/hub/server.ts';
import type { StoredRelease } from '../../src/release/index.ts';
import { dockerCli, runCli, skopeoCopy } from '../helpers/docker-cli.ts';
import { putHubRelease } from '../helpers/hub-release.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { makeVendor, type Vendor } from '../helpers/vendor.ts';

interface Fixture {
  readonly v1: Vendor;
  readonly v2: Vendor;
  /** app1 1.0.0 (promoted to stable), app1 1.1.0 (pushed, in no channel), app2 1.0.0 (stable). */
  readonly app1: StoredRelease;
  readonly app1Next: StoredRelease;
  readonly app2: StoredRelease;
}

let shared: Promise<Fixture> | undefined;
/** Two vendors and their releases, built once for both backends; their engine images are removed so pulls really download. */
function fixture(): Promise<Fixture> {
  shared ??= (async () => {
    const v1 = await makeVendor('skp');
    const v2 = await makeVendor('skp');
    const app1 = await v1.createVersion('1.0.0');
    const app1Next = await v1.createVersion('1.1.0');
    const app2 = await v2.createVersion('1.0.0', { webPage: `${v2.app} web` });
    for (const v of [v1, v2])
      for (const tag of [v.webImage('1.0.0'), v.webImage('1.1.0'), v.webImage('1.0.0', { webPage: `${v.app} web` }), v.workerImage, `skiff-test/${v.app}-base:1`])
        await runCli('docker', ['rmi', '-f', tag]);
    return { v1, v2, app1, app1Next, app2 };
  })();
  return shared;
}

after(async () => {
  if (!shared) return;
  const f = await shared;
  await f.v1.cleanup();
  await f.v2.cleanup();
});

const web = (r: StoredRelease) => {
  const image = r.manifest.images.web;
  assert.ok(image, `release ${r.manifest.app} has no web image`);
  return image;
};

const BACKENDS = [
  { name: 'SQLite metadata, filesystem blobs', postgres: false },
  { name: 'PostgreSQL metadata, registry blobs', postgres: true },
] as const;

for (const backend of BACKENDS) {
  describe(`hub /v2/ pull with docker and skopeo (${backend.name})`, () => {
    let f: Fixture;
    let dir: string;
    let pg: TempDatabase | undefined;
    let registry: TestRegistry | undefined;
    let hub: RunningHub;
    let host: string;
    let adminToken: string;
    const tokens = { a: '', b: '' };

    const api = async (method: string, url: string, body?: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${hub.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      assert.ok(res.ok, `${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const v2 = (url: string, token?: string, init: RequestInit = {}) =>
      fetch(`${hub.url}${url}`, { ...init, headers: { ...(token ? { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } : {}) } });

    before(async () => {
      f = await fixture();
      dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-hub-v2-'));
      if (backend.postgres) {
        pg = await tempDatabase();
        registry = await startRegistry();
      }
      const opts = { dataDir: dir, database: pg?.url, blobRegistry: registry?.url };
      adminToken = (await initHub(opts)).token;
      hub = await startHubServer({ ...opts, listen: '127.0.0.1:0' });
      host = new URL(hub.url).host;
      for (const [vendor, release] of [[f.v1, f.app1], [f.v1, f.app1Next], [f.v2, f.app2]] as const) await putHubRelease(hub.app.hub, vendor, release);
      await api('POST', `/api/v1/apps/${f.v1.app}/channels/stable/releases`, { version: '1.0.0' });
      await api('POST', `/api/v1/apps/${f.v2.app}/channels/stable/releases`, { version: '1.0.0' });
      const a = await api('POST', '/api/v1/customers', { name: 'customer-a', entitlements: [{ app: f.v1.app, channel: 'stable' }] });
      const b = await api('POST', '/api/v1/customers', { name: 'customer-b', entitlements: [{ app: f.v2.app, channel: 'stable' }] });
      tokens.a = String(a.token);
      tokens.b = String(b.token);
    });

    after(async () => {
      await hub?.close();
      await registry?.stop();
      await pg?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    it('challenges requests without a token with 401 Basic realm="skiff", and docker pull without login fails', async () => {
      for (const url of ['/v2/', `/v2/${f.v1.app}/web/manifests/1.0.0`, `/v2/${f.v1.app}/web/blobs/${web(f.app1).configDigest}`]) {
        const res = await v2(url);
        assert.equal(res.status, 401, url);
        assert.equal(res.headers.get('www-authenticate'), 'Basic realm="skiff"');
        assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'UNAUTHORIZED');
      }
      const bad = await v2('/v2/', 'skc_notarealtoken');
      assert.equal(bad.status, 401);
      assert.equal(bad.headers.get('www-authenticate'), 'Basic realm="skiff"');
      const cli = await dockerCli();
      try {
        const pull = await cli.pull(`${host}/${f.v1.app}/web:1.0.0`);
        assert.notEqual(pull.code, 0);
        assert.match(pull.stderr, /no basic auth credentials|unauthorized/i);
      } finally {
        await cli.cleanup();
      }
    });

    const customers = [
      { who: 'a', own: () => ({ vendor: f.v1, release: f.app1 }), other: () => ({ vendor: f.v2, release: f.app2 }) },
      { who: 'b', own: () => ({ vendor: f.v2, release: f.app2 }), other: () => ({ vendor: f.v1, release: f.app1 }) },
    ] as const;

    for (const c of customers) {
      it(`customer ${c.who.toUpperCase()}: docker login, pull its app by digest and by version, never the other customer's app`, async () => {
        const own = c.own();
        const other = c.other();
        const cli = await dockerCli();
        try {
          const wrong = await cli.login(host, 'skc_notarealtoken');
          assert.notEqual(wrong.code, 0, 'docker login with a bad token must fail');
          const login = await cli.login(host, tokens[c.who]);
          assert.equal(login.code, 0, login.stderr);
          const image = web(own.release);
          for (const ref of [`${host}/${own.vendor.app}/web@${image.manifestDigest}`, `${host}/${own.vendor.app}/web:1.0.0`]) {
            const pull = await cli.pull(ref);
            assert.equal(pull.code, 0, `docker pull ${ref}: ${pull.stderr}`);
            assert.equal(await cli.imageId(ref), image.configDigest);
          }
          const worker = own.release.manifest.images.worker;
          assert.ok(worker);
          assert.equal((await cli.pull(`${host}/${own.vendor.app}/worker:1.0.0`)).code, 0);
          const otherImage = web(other.release);
          for (const ref of [`${host}/${other.vendor.app}/web:1.0.0`, `${host}/${other.vendor.app}/web@${otherImage.manifestDigest}`]) {
            const pull = await cli.pull(ref);
            assert.notEqual(pull.code, 0, `docker pull ${ref} must fail`);
            assert.match(pull.stderr, /not found|does not exist|unknown/i);
          }
        } finally {
          await cli.cleanup();
        }
      });

      it(`customer ${c.who.toUpperCase()}: skopeo copies its app into an OCI layout and fails on the other's`, async () => {
        const own = c.own();
        const other = c.other();
        const out = await mkdtemp(path.join(os.tmpdir(), 'skiff-skopeo-'));
        try {
          const copy = await skopeoCopy(`${host}/${own.vendor.app}/web:1.0.0`, path.join(out, 'own'), tokens[c.who]);
          assert.equal(copy.code, 0, copy.stderr);
          const index = JSON.parse(await readFile(path.join(out, 'own', 'index.json'), 'utf8')) as { manifests: unknown[] };
          assert.equal(index.manifests.length, 1);
          const config = web(own.release).configDigest.replace(':', '/');
          assert.ok((await stat(path.join(out, 'own', 'blobs', config))).isFile(), 'the config blob was copied');
          const denied = await skopeoCopy(`${host}/${other.vendor.app}/web:1.0.0`, path.join(out, 'other'), tokens[c.who]);
          assert.notEqual(denied.code, 0);
          assert.match(denied.stderr, /not found|unknown|denied/i);
          const anonymous = await skopeoCopy(`${host}/${own.vendor.app}/web:1.0.0`, path.join(out, 'anon'), undefined);
          assert.notEqual(anonymous.code, 0);
        } finally {
          await rm(out, { recursive: true, force: true });
        }
      });
    }

    it('answers 404 for releases outside the channel, other apps, unknown services and unreachable blobs', async () => {
      const a = tokens.a;
      const next = web(f.app1Next);
      const notFound = [
        `/v2/${f.v1.app}/web/manifests/1.1.0`,
        `/v2/${f.v1.app}/web/manifests/${next.manifestDigest}`,
        `/v2/${f.v1.app}/web/blobs/${next.configDigest}`,
        `/v2/${f.v1.app}/nosuch/manifests/1.0.0`,
        `/v2/${f.v1.app}/manifests/1.0.0`,
        `/v2/${f.v1.app}/web/extra/manifests/1.0.0`,
        `/v2/${f.v1.app}/web/manifests/9.9.9`,
        `/v2/${f.v2.app}/web/manifests/1.0.0`,
        `/v2/${f.v2.app}/web/blobs/${web(f.app2).configDigest}`,
        `/v2/${f.v1.app}/web/blobs/${web(f.app2).configDigest}`,
        `/v2/${f.v1.app}/web/blobs/${web(f.app1).manifestDigest}`,
        `/v2/nosuchapp/web/manifests/1.0.0`,
      ];
      for (const url of notFound) {
        const res = await v2(url, a);
        assert.equal(res.status, 404, url);
        await res.body?.cancel();
      }
      const head = await v2(`/v2/${f.v1.app}/web/manifests/1.0.0`, a, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('docker-content-digest'), web(f.app1).manifestDigest);
      assert.equal(head.headers.get('content-type'), web(f.app1).manifestMediaType);
    });

    it('serves vendor users with the read permission every visible release, by Basic or Bearer', async () => {
      const next = web(f.app1Next);
      const byTag = await v2(`/v2/${f.v1.app}/web/manifests/1.1.0`, adminToken);
      assert.equal(byTag.status, 200);
      assert.equal(byTag.headers.get('docker-content-digest'), next.manifestDigest);
      await byTag.body?.cancel();
      const blob = await fetch(`${hub.url}/v2/${f.v1.app}/web/blobs/${next.configDigest}`, { headers: { authorization: `Bearer ${adminToken}` } });
      assert.equal(blob.status, 200);
      assert.equal(blob.headers.get('docker-content-digest'), next.configDigest);
      await blob.body?.cancel();
    });
  });
}
