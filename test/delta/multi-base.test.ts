// A delta bundle that lists several bases, end to end on the real engine: `bundle create --from A --from B` carries what
// not every base holds, names every base in bundle.json, and installs at a site holding any one of them (layers rebuilt
// from chunks as stored gzip, to the digests the signed release names); a site holding none is told which it needs.
// The hub serves the same bytes (`skiff bundle fetch --from A --from B`), to a customer entitled to them only.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import tar from 'tar-stream';
import { install } from '../../src/agent/index.ts';
import { pushRelease } from '../../src/hub-client/index.ts';
import type { DockerEngine } from '../../src/engine/index.ts';
import { parseImageManifest, type Digest } from '../../src/oci/index.ts';
import { getRelease, type StoredRelease } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, cleanupApp, forgetImages, runCli, snapshot } from '../helpers/agent.ts';
import { DeltaSite } from '../helpers/delta-site.ts';
import { noise } from '../helpers/tar-layers.ts';
import { entryAt } from '../bundle/fixture.ts';
import { startHub, type Hub } from '../hub/hub-fixture.ts';

/** Two layers per image: lib/ (1.1.0 and 2.0.0 share it, 1.0.0 has an older one) and app/ (new in each version). */
function files(lib: 1 | 2, app: 1 | 2 | 3): Map<string, Buffer> {
  const f = new Map<string, Buffer>();
  for (let i = 0; i < 20; i++) f.set(`lib/srv/lib/mod-${i}.js`, noise(`mod-${i}-${i === 3 ? lib : 1}`, 30_000));
  const big = noise('runtime', 600_000);
  f.set('app/srv/runtime.bin', Buffer.concat([big.subarray(0, 100_000 * app), Buffer.from(`patch ${app}`), big.subarray(100_000 * app)]));
  f.set('app/srv/version.txt', Buffer.from(`version ${app}\n`));
  return f;
}

async function context(f: Map<string, Buffer>, baseTag: string, mtimes: { lib: Date; app: Date }): Promise<Buffer> {
  const pack = tar.pack();
  const done = buffer(pack);
  const add = (header: Parameters<typeof pack.entry>[0], data: Buffer) => new Promise<void>((resolve, reject) => pack.entry(header, data, (e) => (e ? reject(e) : resolve())));
  await add({ name: 'Dockerfile', mtime: mtimes.lib }, Buffer.from(`FROM ${baseTag}\nCOPY lib/ /\nCOPY app/ /\nCMD ["sleep", "3600"]\n`));
  for (const [name, data] of f) await add({ name, mtime: name.startsWith('lib/') ? mtimes.lib : mtimes.app, mode: 0o644 }, data);
  pack.finalize();
  return done;
}

const STORED_HEADER = Buffer.from('1f8b08000000000000ff', 'hex');

let site: DeltaSite;
let engine: DockerEngine;
let work: string;
let store: FsBlobStore;
let app: string;
let hub: Hub | undefined;
const releases = new Map<string, StoredRelease>();

const bundle = async (name: string, version: string, ...from: string[]): Promise<string> => {
  const file = path.join(work, `${name}.skiff`);
  const r = await runCli(['bundle', 'create', '--store', path.join(work, 'store'), `${app}@${version}`, ...from.flatMap((v) => ['--from', `${app}@${v}`]), '-o', file]);
  assert.equal(r.code, 0, r.stderr);
  return file;
};

before(async () => {
  site = await DeltaSite.start('skmulti');
  ({ engine, work, store, app } = site);
  const at = (s: string) => new Date(s);
  for (const [version, lib, appV, mtimes] of [
    ['1.0.0', 1, 1, { lib: at('2020-01-01T00:00:00Z'), app: at('2020-01-01T00:00:00Z') }],
    ['1.1.0', 2, 2, { lib: at('2021-01-01T00:00:00Z'), app: at('2021-01-01T00:00:00Z') }],
    ['2.0.0', 2, 3, { lib: at('2021-01-01T00:00:00Z'), app: at('2024-06-01T12:00:00Z') }],
  ] as const) {
    const tag = await site.build(version, await context(files(lib, appV), site.baseTag, mtimes));
    releases.set(version, await site.release(tag, version, { layerCompression: 'stored' }));
  }
  await site.forget(releases.values());
});

after(async () => {
  await hub?.close();
  await site?.close();
});

const layersOf = async (version: string): Promise<readonly { digest: Digest; size: number }[]> =>
  parseImageManifest(await buffer(await store.get(releases.get(version)!.manifest.images.app!.manifestDigest))).layers;

const indexOf = async (file: string) => {
  const bytes = await readFile(file);
  const e = entryAt(bytes, 'skiff/bundle.json');
  return JSON.parse(bytes.subarray(e.data, e.data + e.size).toString()) as { base?: { version: string }; bases?: { version: string }[]; blobs: { digest: string; included: boolean }[]; packs?: { layer: string }[] };
};

test('bundle create --from A --from B names both bases and carries what not both hold', async () => {
  const [, lib, appLayer] = await layersOf('2.0.0');
  assert.deepEqual((await layersOf('1.1.0'))[1], lib, 'the fixture: 1.1.0 and 2.0.0 share the lib layer');
  assert.notDeepEqual((await layersOf('1.0.0'))[1], lib);
  for (const l of await layersOf('2.0.0')) assert.ok((await readFile(store.blobPath(l.digest))).subarray(0, 10).equals(STORED_HEADER), `layer ${l.digest} is a stored gzip`);
  const one = await indexOf(await bundle('from-1.1', '2.0.0', '1.1.0'));
  assert.equal(one.bases, undefined);
  assert.equal(one.blobs.find((b) => b.digest === lib!.digest)?.included, false, 'one base: the shared lib layer is omitted');
  const multi = await indexOf(await bundle('multi', '2.0.0', '1.0.0', '1.1.0'));
  assert.deepEqual(multi.bases?.map((b) => b.version), ['1.0.0', '1.1.0']);
  assert.equal(multi.base?.version, '1.0.0');
  const carried = (d: string) => multi.blobs.find((b) => b.digest === d)?.included === true || multi.packs?.some((p) => p.layer === d) === true;
  assert.ok(carried(lib!.digest), 'the lib layer 1.0.0 lacks is carried');
  assert.ok(multi.packs?.some((p) => p.layer === appLayer!.digest), 'the new app layer comes as a chunk pack');
  const twice = await runCli(['bundle', 'create', '--store', path.join(work, 'store'), `${app}@2.0.0`, '--from', `${app}@1.0.0`, '--from', `${app}@1.0.0`, '-o', path.join(work, 'twice.skiff')]);
  assert.notEqual(twice.code, 0);
  assert.match(twice.stderr.trim(), /^skiff: .*--from .*1\.0\.0 is given twice: name each base once$/);
});

test('the hub sends the same multi-base delta to an entitled customer (skiff bundle fetch --from A --from B), and nothing to another', async () => {
  hub = await startHub();
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
  assert.equal((await hub.call('POST', '/api/v1/apps', hub.admin.token, { name: app, root: await readFile(path.join(work, 'trust', 'root.json'), 'utf8') })).status, 201);
  for (const v of ['1.0.0', '1.1.0', '2.0.0']) {
    await pushRelease({ conn: { hub: url, token: hub.admin.token }, store, app, version: v });
    assert.equal((await hub.call('POST', `/api/v1/apps/${app}/channels/stable/releases`, hub.admin.token, { version: v })).status, 201);
  }
  const acme = String((await hub.call('POST', '/api/v1/customers', hub.admin.token, { name: 'acme', entitlements: [{ app, channel: 'stable' }] })).json.token);
  const globex = String((await hub.call('POST', '/api/v1/customers', hub.admin.token, { name: 'globex', entitlements: [] })).json.token);
  const fetched = path.join(work, 'fetched.skiff');
  const r = await runCli(['bundle', 'fetch', `${app}@2.0.0`, '--from', '1.1.0', '--from', `${app}@1.0.0`, '-o', fetched, '--hub', url, '--token', acme]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\(delta from 1\.1\.0 or 1\.0\.0\)/);
  assert.ok((await readFile(fetched)).equals(await readFile(path.join(work, 'multi.skiff'))), 'the bytes of bundle create --from 1.0.0 --from 1.1.0');
  const refused = path.join(work, 'refused.skiff');
  const other = await runCli(['bundle', 'fetch', `${app}@2.0.0`, '--from', '1.0.0', '--from', '1.1.0', '-o', refused, '--hub', url, '--token', globex]);
  assert.notEqual(other.code, 0);
  assert.match(other.stderr.trim(), /^skiff: hub: .*not found/);
  assert.equal(await readFile(refused).catch(() => undefined), undefined, 'nothing written for another customer');
});

const run = (stateDir: string, file: string) => install({ stateDir, bundle: file, trustFile: path.join(work, 'trust', 'root.json'), ...FAST });

test('an agent holding none of the bases is told which it needs, and nothing changes', async () => {
  const stateDir = path.join(work, 'agent-none');
  await assert.rejects(run(stateDir, path.join(work, 'multi.skiff')), (e) => isSkiffError(e, 'BASE_MISSING') && e.message.includes(`${app}@1.0.0 or ${app}@1.1.0`));
  const s = await snapshot(engine, app, stateDir);
  assert.deepEqual([s.stateJson, s.containers], [undefined, []]);
});

for (const base of ['1.0.0', '1.1.0'])
  test(`an agent holding only ${base} installs the multi-base delta fetched from the hub; the engine holds exactly the signed image`, async () => {
    const stateDir = path.join(work, `agent-${base}`);
    assert.equal((await run(stateDir, await bundle(`full-${base}`, base))).outcome, 'installed');
    const before = await snapshot(engine, app, stateDir);
    const multi = await readFile(path.join(work, 'multi.skiff'));
    const appLayer = (await layersOf('2.0.0')).at(-1)!.digest;
    const e = entryAt(multi, `skiff/chunks/${appLayer.slice(7)}`);
    multi[e.data + (e.size >> 1)] = (multi[e.data + (e.size >> 1)] ?? 0) ^ 0x55;
    await writeFile(path.join(work, 'damaged.skiff'), multi);
    await assert.rejects(run(stateDir, path.join(work, 'damaged.skiff')), (err) => isSkiffError(err, 'BUNDLE_INVALID') && /chunks of layer/.test(err.message));
    assert.deepEqual(await snapshot(engine, app, stateDir), before, 'a damaged chunk changes nothing');
    const result = await run(stateDir, path.join(work, 'fetched.skiff'));
    assert.deepEqual([result.outcome, result.to], ['upgraded', '2.0.0']);
    const v2 = (await getRelease(new FsBlobStore(path.join(stateDir, 'store')), app, '2.0.0')).manifest;
    assert.equal((await engine.imageInspect(`skiff/${app}/app:2.0.0`))?.id, `sha256:${v2.images.app!.configDigest.slice(7)}`);
    assert.match((await snapshot(engine, app, stateDir)).containers.join('\n'), / 2\.0\.0 running/);
    await cleanupApp(engine, app);
    await forgetImages(engine, [...releases.values()].map((r) => r.manifest.images.app!.configDigest));
  });
