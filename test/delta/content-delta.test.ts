// Content-level delta bundles end to end on the real engine: an app layer rebuilt with new mtimes and one changed file
// ships as a chunk pack far smaller than the layer, installs, and the engine holds exactly the signed image; a damaged
// chunk or recipe is refused with the engine's images and the agent's state unchanged.
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import tar from 'tar-stream';
import { install } from '../../src/agent/index.ts';
import type { DockerEngine } from '../../src/engine/index.ts';
import { parseImageManifest, type Digest } from '../../src/oci/index.ts';
import { getRelease, loadChain, type StoredRelease } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { isSkiffError } from '../../src/util/errors.ts';
import { FAST, makeBundle, runCli, snapshot } from '../helpers/agent.ts';
import { DeltaSite } from '../helpers/delta-site.ts';
import { noise } from '../helpers/tar-layers.ts';
import { entryAt } from '../bundle/fixture.ts';
import { writeBundle } from '../../src/bundle/index.ts';

/** The app layer's files: many incompressible ones, as node_modules are to a layer diff. */
function appFiles(version: 1 | 2): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let i = 0; i < 40; i++) files.set(`srv/lib/mod-${i}.js`, noise(`mod-${i}`, 20_000 + i * 500));
  const big = noise('runtime', 900_000);
  files.set('srv/runtime.bin', version === 1 ? big : Buffer.concat([big.subarray(0, 400_000), Buffer.from('patched'), big.subarray(400_000)]));
  files.set('srv/version.txt', Buffer.from(`version ${version}\n`));
  return files;
}

/** A build context whose files carry `mtime`: COPY keeps it, so each build's layer has other headers. */
async function context(files: Map<string, Buffer>, baseTag: string, mtime: Date): Promise<Buffer> {
  const pack = tar.pack();
  const done = buffer(pack);
  const add = (header: Parameters<typeof pack.entry>[0], data?: Buffer) => new Promise<void>((resolve, reject) => pack.entry(header, data ?? Buffer.alloc(0), (e) => (e ? reject(e) : resolve())));
  await add({ name: 'Dockerfile', mtime }, Buffer.from(`FROM ${baseTag}\nCOPY layer/ /\nCMD ["sleep", "3600"]\n`));
  for (const [name, data] of files) await add({ name: `layer/${name}`, mtime, mode: 0o644 }, data);
  pack.finalize();
  return done;
}

let site: DeltaSite;
let engine: DockerEngine;
let work: string;
let store: FsBlobStore;
let app: string;
const releases = new Map<string, StoredRelease>();
const bundles = new Map<string, string>();

before(async () => {
  site = await DeltaSite.start('skdelta');
  ({ engine, work, store, app } = site);
  for (const [v, version, mtime] of [[1, '1.0.0', '2020-01-01T00:00:00Z'], [2, '2.0.0', '2024-06-01T12:00:00Z']] as const) {
    const tag = await site.build(String(v), await context(appFiles(v), site.baseTag, new Date(mtime)));
    releases.set(version, await site.release(tag, version));
    // The same image as a release with stored-gzip layers: the agent frames its rebuilt layer on a worker thread.
    releases.set(`stored-${version}`, await site.release(tag, version, { app: storedApp(), layerCompression: 'stored' }));
  }
  bundles.set('stored-full-1', (await makeBundle(store, storedApp(), '1.0.0', path.join(work, 'stored-full-1.skiff'))).file);
  bundles.set('stored-content', (await makeBundle(store, storedApp(), '2.0.0', path.join(work, 'stored-content.skiff'), '1.0.0')).file);
  bundles.set('full-1', (await makeBundle(store, app, '1.0.0', path.join(work, 'full-1.skiff'))).file);
  bundles.set('content', (await makeBundle(store, app, '2.0.0', path.join(work, 'content.skiff'), '1.0.0')).file);
  const layersOnly = path.join(work, 'layers.skiff');
  await writeBundle({ blobs: store, release: releases.get('2.0.0')!, base: releases.get('1.0.0')!, chain: await loadChain(store, app), layersOnly: true }, createWriteStream(layersOnly));
  bundles.set('layers', layersOnly);
  await site.forget(releases.values());
});

after(async () => {
  await site?.close();
});

const appLayer = async (version: string): Promise<Digest> => {
  const img = releases.get(version)!.manifest.images.app!;
  return parseImageManifest(await buffer(await store.get(img.manifestDigest))).layers.at(-1)!.digest;
};

test('a rebuilt layer with one changed file ships as a chunk pack far smaller than the layer', async (t) => {
  const content = await readFile(bundles.get('content')!);
  const layers = await readFile(bundles.get('layers')!);
  const entry = entryAt(content, 'skiff/bundle.json');
  const index = JSON.parse(content.subarray(entry.data, entry.data + entry.size).toString()) as { packs?: { layer: string }[] };
  assert.deepEqual(index.packs?.map((p) => p.layer), [await appLayer('2.0.0')]);
  t.diagnostic(`content-level delta ${content.length} bytes, layer-level delta ${layers.length} bytes`);
  assert.ok(content.length < layers.length / 4, `content-level ${content.length} bytes vs layer-level ${layers.length}`);
});

test('skiff bundle create in another process writes the same bytes (what the hub relies on to stream and resume)', async () => {
  const file = path.join(work, 'cli-content.skiff');
  const r = await runCli(['bundle', 'create', '--store', path.join(work, 'store'), `${app}@2.0.0`, '--from', `${app}@1.0.0`, '-o', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /chunk packs: 1 layers rebuilt at the site/);
  assert.ok((await readFile(file)).equals(await readFile(bundles.get('content')!)), 'byte-identical content-level deltas');
});

const stateDir = () => path.join(work, 'agent');
const storedApp = () => `${app}st`;
const run = (file: string) => install({ stateDir: stateDir(), bundle: file, trustFile: path.join(work, 'trust', 'root.json'), ...FAST });

/** A copy of the content-level bundle with one byte flipped in the middle of `entry`. */
async function damaged(name: string, entry: string, from = bundles.get('content')!): Promise<string> {
  const bytes = Buffer.from(await readFile(from));
  const e = entryAt(bytes, entry);
  const at = e.data + Math.floor(e.size / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0x55;
  const file = path.join(work, `${name}.skiff`);
  await writeFile(file, bytes);
  return file;
}

test('a damaged chunk, a damaged recipe or a pack codec bundle.json misnames is refused, and nothing changes', async () => {
  assert.equal((await run(bundles.get('full-1')!)).outcome, 'installed');
  const agentStore = new FsBlobStore(path.join(stateDir(), 'store'));
  const newLayer = await appLayer('2.0.0');
  const v2 = releases.get('2.0.0')!.manifest;
  const recipe = v2.contentIndex!.find((c) => c.layer === newLayer)!.digest;
  const before = await snapshot(engine, app, stateDir());
  const chunk = await damaged('bad-chunk', `skiff/chunks/${newLayer.slice(7)}`);
  await assert.rejects(run(chunk), (e) => isSkiffError(e, 'BUNDLE_INVALID') && /chunks of layer/.test(e.message));
  // bundle.json names the pack's codec, unsigned: naming another is a pack that does not decompress, refused.
  const bytes = Buffer.from(await readFile(bundles.get('content')!));
  const at = bytes.indexOf('"codec": "deflate"');
  assert.ok(at > 0, 'bundle.json names the codec of the pack');
  bytes.write('"codec": "brotli" ', at, 'latin1');
  const codecFile = path.join(work, 'bad-codec.skiff');
  await writeFile(codecFile, bytes);
  await assert.rejects(run(codecFile), (e) => isSkiffError(e, 'BUNDLE_INVALID') && /chunks of layer .* do not decompress/.test(e.message));
  const recipeFile = await damaged('bad-recipe', `blobs/sha256/${recipe.slice(7)}`);
  await assert.rejects(run(recipeFile), (e) => isSkiffError(e, 'DIGEST_MISMATCH'));
  assert.deepEqual(await snapshot(engine, app, stateDir()), before);
  assert.equal(await engine.imageInspect(`sha256:${v2.images.app!.configDigest.slice(7)}`), undefined);
  assert.equal(await agentStore.has(newLayer), false);
  assert.equal(await agentStore.has(recipe), false);
});

test('the content-level delta installs on the engine, which holds exactly the image the signed release names', async () => {
  const result = await run(bundles.get('content')!);
  assert.deepEqual([result.outcome, result.to], ['upgraded', '2.0.0']);
  const v2 = (await getRelease(new FsBlobStore(path.join(stateDir(), 'store')), app, '2.0.0')).manifest;
  const image = await engine.imageInspect(`skiff/${app}/app:2.0.0`);
  assert.equal(image?.id, `sha256:${v2.images.app!.configDigest.slice(7)}`);
  assert.ok(await new FsBlobStore(path.join(stateDir(), 'store')).has(await appLayer('2.0.0')));
  const s = await snapshot(engine, app, stateDir());
  assert.match(s.containers.join('\n'), / 2\.0\.0 running/);
});

test('a content-level delta of a stored-gzip release installs: its layer is framed on a worker thread to the signed digest', async () => {
  const agent = path.join(work, 'agent-stored');
  const runStored = (file: string) => install({ stateDir: agent, bundle: file, trustFile: path.join(work, 'trust', 'root.json'), ...FAST });
  assert.equal((await runStored(bundles.get('stored-full-1')!)).outcome, 'installed');
  const v2 = releases.get('stored-2.0.0')!.manifest;
  const layer = parseImageManifest(await buffer(await store.get(v2.images.app!.manifestDigest))).layers.at(-1)!.digest;
  const content = await readFile(bundles.get('stored-content')!);
  const e = entryAt(content, 'skiff/bundle.json');
  const index = JSON.parse(content.subarray(e.data, e.data + e.size).toString()) as { packs?: { layer: string }[] };
  assert.deepEqual(index.packs?.map((p) => p.layer), [layer], 'the stored layer comes as a chunk pack');
  const before = await snapshot(engine, storedApp(), agent);
  const chunk = await damaged('stored-bad-chunk', `skiff/chunks/${layer.slice(7)}`, bundles.get('stored-content')!);
  await assert.rejects(runStored(chunk), (e) => isSkiffError(e, 'BUNDLE_INVALID') && /chunks of layer/.test(e.message));
  assert.deepEqual(await snapshot(engine, storedApp(), agent), before);
  assert.equal(await new FsBlobStore(path.join(agent, 'store')).has(layer), false);
  const result = await runStored(bundles.get('stored-content')!);
  assert.deepEqual([result.outcome, result.to], ['upgraded', '2.0.0']);
  assert.equal((await engine.imageInspect(`skiff/${storedApp()}/app:2.0.0`))?.id, `sha256:${v2.images.app!.configDigest.slice(7)}`);
  assert.ok(await new FsBlobStore(path.join(agent, 'store')).has(layer));
});
