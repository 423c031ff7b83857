// Figures: content-level delta bundles (issue 14). Bundle size netapp 1.0.0→2.0.0 content-level vs layer-level vs
// `docker save | gzip` vs `zstd --patch-from` per layer; a rebuild-only release (same sources, new build); the agent's
// reconstruction throughput and peak RSS (a child process rebuilding the delta's layers, nothing else).
// Runs inside `npm run bench` (setup.json's store), or alone: BENCH_WORK=<empty dir> node --import tsx bench/delta.ts
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readBundle, StagingSink, trustVerifier } from '../src/bundle/index.ts';
import { decodeLayerIndex } from '../src/delta/index.ts';
import { findRelease, getRelease, saveRelease } from '../src/release/index.ts';
import { FsBlobStore } from '../src/store/index.ts';
import { parseRoot } from '../src/trust/index.ts';
import { REPO, ROUNDS, image, median, mib, quiet, readSetup, record, run, sh, skiff, workDir } from './lib/run.ts';

const CORPUS = process.env.CORPUS_CACHE ?? '/var/tmp/skiff-bench-corpus';
/** -19 took over 4 minutes for one layer on the loaded 2-core bench machine; -9 keeps the run within minutes. */
const ZSTD_LEVEL = process.env.BENCH_ZSTD_LEVEL ?? '9';
const REBUILT = 'skiff-bench/netapp:1.0.0-rebuilt';

interface Ctx {
  readonly dir: string;
  readonly app: string;
  /** The same images as releases with stored-gzip layers (release create --layer-compression stored). */
  readonly storedApp: string;
  readonly store: string;
  readonly root: string;
  readonly trustDir: string;
}

/** setup.json's store when `npm run bench` made one, else releases 1.0.0 and 2.0.0 of our own. */
async function context(): Promise<Ctx> {
  const dir = join(workDir(), 'delta');
  await mkdir(dir, { recursive: true });
  const s = await readSetup().catch(() => undefined);
  const ctx = s ? { dir, app: s.app, storedApp: `${s.app}-stored`, store: s.store, root: s.root, trustDir: s.trustDir } : { dir, app: 'benchdelta', storedApp: 'benchstored', store: join(dir, 'store'), trustDir: join(dir, 'trust'), root: join(dir, 'trust', 'root.json') };
  // A rerun in the same BENCH_WORK keeps its releases (exporting the corpus from the engine takes minutes).
  if (!(await stat(ctx.root).catch(() => undefined))) await skiff('trust', 'init', '--dir', ctx.trustDir);
  for (const v of ['1.0.0', '2.0.0']) {
    if (!(await findRelease(new FsBlobStore(ctx.store), ctx.app, v))) await createRelease(ctx, v, image(v));
    if (!(await findRelease(new FsBlobStore(ctx.store), ctx.storedApp, v))) await createRelease(ctx, v, image(v), ctx.storedApp);
  }
  return ctx;
}

/** A release of `ref`; stored-gzip layers when `app` is the context's stored app. */
async function createRelease(ctx: Ctx, version: string, ref: string, app = ctx.app): Promise<number> {
  const compose = join(ctx.dir, `compose-${version}.yaml`);
  await writeFile(compose, `services:\n  netapp:\n    image: ${ref}\n`);
  const compression = app === ctx.storedApp ? ['--layer-compression', 'stored'] : [];
  return (await skiff('release', 'create', '--compose', compose, '--app', app, '--version', version, '--trust', ctx.trustDir, '--store', ctx.store, ...compression)).ms;
}

async function bundle(ctx: Ctx, name: string, version: string, from?: string, layersOnly = false, app = ctx.app): Promise<{ file: string; size: number }> {
  const file = join(ctx.dir, `${name}.skiff`);
  await rm(file, { force: true });
  await skiff('bundle', 'create', '--store', ctx.store, `${app}@${version}`, ...(from ? ['--from', `${app}@${from}`] : []), ...(layersOnly ? ['--layers-only'] : []), '-o', file);
  return { file, size: (await stat(file)).size };
}

async function zipSize(ctx: Ctx, ref: string, name: string): Promise<number> {
  const file = join(ctx.dir, `${name}.tar.gz`);
  await sh(`docker save ${ref} | gzip > ${file}`);
  return (await stat(file)).size;
}

/** Layer tars of `ref` (docker save), by diffID directory. */
async function layerTars(ctx: Ctx, ref: string, name: string): Promise<string[]> {
  const dir = join(ctx.dir, `save-${name}`);
  await mkdir(dir, { recursive: true });
  await sh(`docker save ${ref} | tar -x -C ${dir}`);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  return manifest[0]!.Layers.map((l) => join(dir, l));
}

/** zstd --patch-from per new layer, each against the base image's layers (all of them, concatenated: what the site holds). */
async function zstdPatchSize(ctx: Ctx, oldRef: string, newRef: string): Promise<number> {
  const oldLayers = await layerTars(ctx, oldRef, 'old');
  const newLayers = await layerTars(ctx, newRef, 'new');
  const base = join(ctx.dir, 'old-layers.tar');
  await sh(`cat ${oldLayers.join(' ')} > ${base}`);
  const oldSums = new Set(await Promise.all(oldLayers.map(async (l) => (await sh(`sha256sum ${l}`)).stdout.split(' ')[0])));
  let total = 0;
  for (const [i, l] of newLayers.entries()) {
    if (oldSums.has((await sh(`sha256sum ${l}`)).stdout.split(' ')[0])) continue;
    const out = join(ctx.dir, `patch-${i}.zst`);
    await run('zstd', ['-q', '-f', `-${ZSTD_LEVEL}`, '--long=31', '-T0', `--patch-from=${base}`, l, '-o', out], { timeoutMs: 3_600_000 });
    total += (await stat(out)).size;
  }
  await rm(join(ctx.dir, 'save-old'), { recursive: true, force: true });
  await rm(join(ctx.dir, 'save-new'), { recursive: true, force: true });
  await rm(base, { force: true });
  return total;
}

const pct = (a: number, b: number): string => `${((a / b) * 100).toFixed(1)} %`;

/** A build of netapp 1.0.0's sources again (fresh copies: new mtimes), as a vendor's CI rebuild makes; undefined without the corpus cache. */
async function rebuildOnly(): Promise<boolean> {
  if (!(await stat(join(CORPUS, 'deps-1.0', 'node_modules')).catch(() => undefined))) return false;
  const script = [
    'ctx=$(mktemp -d)',
    'cp "$(command -v node)" "$ctx/node"',
    `cp -r ${CORPUS}/deps-1.0/node_modules "$ctx/node_modules"`,
    `cat > "$ctx/server.js" <<'JS'\nconst http = require('http');\nconst version = '1.0.0';\nhttp.createServer((req, res) => {\n  if (req.url === '/healthz') { res.end('ok'); return; }\n  res.setHeader('content-type', 'application/json');\n  res.end(JSON.stringify({ service: 'netapp', version }));\n}).listen(Number(process.env.PORT || 8080), process.env.HOST || '127.0.0.1');\nJS`,
    'echo \'{"logLevel":"info","version":"1.0.0"}\' > "$ctx/config.json"',
    'printf \'FROM skiff-bench/base:bookworm\\nCOPY node /usr/local/bin/node\\nCOPY node_modules /srv/app/node_modules\\nCOPY server.js /srv/app/server.js\\nCOPY config.json /etc/netapp/config.json\\nCMD ["/usr/local/bin/node", "/srv/app/server.js"]\\n\' > "$ctx/Dockerfile"',
    `DOCKER_BUILDKIT=0 docker build -q --no-cache -t ${REBUILT} "$ctx" >/dev/null`,
    'rm -rf "$ctx"',
  ].join('\n');
  await sh(script);
  return true;
}

/** Child: reads `file` into the agent store under `dir` (as an install does before the engine); prints the time and peak RSS. */
async function agentRead(root: string, file: string, dir: string): Promise<void> {
  const store = new FsBlobStore(join(dir, 'agent-store'));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const sink = new StagingSink(store, join(dir, 'agent-staging', String(process.pid)));
  const c = await readBundle(createReadStream(file, { highWaterMark: 256 << 10 }), { verify: trustVerifier(parseRoot(Buffer.from(root))), sink, name: file });
  await sink.commit();
  await saveRelease(store, c.releaseBytes, c.sig, c.chain);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const rel = await getRelease(store, c.release.app, c.release.version);
  let tarBytes = 0;
  for (const layer of c.rebuilt) {
    const ref = rel.manifest.contentIndex!.find((x) => x.layer === layer)!;
    tarBytes += (await decodeLayerIndex(await readFile(store.blobPath(ref.digest)), ref.digest)).tarSize;
  }
  process.stdout.write(`${JSON.stringify({ ms, cpuMs, tarBytes, layers: c.rebuilt.length, maxRssKB: process.resourceUsage().maxRSS })}\n`);
}

interface ReadFigures {
  readonly ms: number;
  /** CPU time (user + system, every thread) of the read: steadier than wall time on a loaded machine. */
  readonly cpuMs: number;
  readonly tarBytes: number;
  readonly layers: number;
  readonly maxRssKB: number;
}

/**
 * A fresh agent store holding `full`, then the timed read of `delta` in its own process (its peak RSS is the delta's),
 * after a sync: the bench's earlier steps leave hundreds of MB to write back, which the read's fsyncs would wait for.
 */
async function reconstruct(ctx: Ctx, name: string, full: string, delta: string): Promise<ReadFigures> {
  const dir = join(ctx.dir, `child-${name}`);
  await rm(dir, { recursive: true, force: true });
  const child = (file: string) => run('node', ['--import', 'tsx', join(REPO, 'bench/delta.ts'), '--agent-read', ctx.root, file, dir], { timeoutMs: 3_600_000 });
  await child(full);
  await run('sync', []);
  const r = await child(delta);
  await rm(dir, { recursive: true, force: true });
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ReadFigures;
}

/** The median round by wall time (ROUNDS rounds, the two releases interleaved). */
const medianRead = (reads: readonly ReadFigures[]): ReadFigures => [...reads].sort((a, b) => a.ms - b.ms)[Math.floor(reads.length / 2)]!;

async function main(): Promise<void> {
  const ctx = await context();
  // BENCH_DELTA_ONLY=reconstruction: the reconstruction rows alone (minutes instead of the size rows' zstd runs).
  if (process.env.BENCH_DELTA_ONLY === 'reconstruction') return reconstructionRows(ctx, (await bundle(ctx, 'content-1.0.0-2.0.0', '2.0.0', '1.0.0')).file);
  const content = await bundle(ctx, 'content-1.0.0-2.0.0', '2.0.0', '1.0.0');
  const layers = await bundle(ctx, 'layers-1.0.0-2.0.0', '2.0.0', '1.0.0', true);
  const zip = await zipSize(ctx, image('2.0.0'), 'netapp-2.0.0');
  const zstd = await zstdPatchSize(ctx, image('1.0.0'), image('2.0.0'));
  const row = (figure: string, skiffBytes: number, peerName: string, peerBytes: number, target: string, met: 'yes' | 'no' | '—') =>
    record({ figure, skiff: mib(skiffBytes), peer: `${peerName} ${mib(peerBytes)}`, ratio: pct(skiffBytes, peerBytes), target, met, samples: `${skiffBytes} vs ${peerBytes} bytes` });
  await row('bundle size netapp 1.0.0→2.0.0, content-level vs docker save | gzip', content.size, 'docker save | gzip', zip, '≤ 35 % (aim 25 %)', content.size / zip <= 0.35 ? 'yes' : 'no');
  await row('bundle size netapp 1.0.0→2.0.0, content-level vs layer-level delta', content.size, 'layer-level delta', layers.size, 'reported', '—');
  await row(`bundle size netapp 1.0.0→2.0.0, content-level vs zstd -${ZSTD_LEVEL} --long=31 --patch-from per new layer`, content.size, 'zstd --patch-from', zstd, 'reported', '—');

  // The corpus has no rebuild-only release: this builds one (minutes on a loaded machine), so only when asked.
  if (process.env.BENCH_DELTA_REBUILD === '1' && (await rebuildOnly())) {
    await createRelease(ctx, '1.0.9', REBUILT);
    const rb = await bundle(ctx, 'content-1.0.0-1.0.9', '1.0.9', '1.0.0');
    const rbLayers = await bundle(ctx, 'layers-1.0.0-1.0.9', '1.0.9', '1.0.0', true);
    const rbZip = await zipSize(ctx, REBUILT, 'netapp-rebuilt');
    await row('bundle size rebuild-only release (netapp 1.0.0 rebuilt from the same sources), content-level', rb.size, 'docker save | gzip', rbZip, '≤ 1 %', rb.size / rbZip <= 0.01 ? 'yes' : 'no');
    await row('bundle size rebuild-only release, content-level vs layer-level delta', rb.size, 'layer-level delta', rbLayers.size, 'reported', '—');
    await quiet('docker', ['rmi', REBUILT]);
  }

  await reconstructionRows(ctx, content.file, content.size);
  for (const f of await readdir(ctx.dir)) if (f.endsWith('.zst') || f.endsWith('.tar.gz')) await rm(join(ctx.dir, f), { force: true });
}

/**
 * Reconstruction: the stored-gzip releases (what a vendor shipping content-level deltas makes) and, beside them, the
 * gzip -6 releases (the agent recompresses with zlib); each an agent that holds 1.0.0 reading the 2.0.0 delta.
 */
async function reconstructionRows(ctx: Ctx, contentFile: string, contentSize?: number): Promise<void> {
  const row = (figure: string, skiffBytes: number, peerName: string, peerBytes: number) =>
    record({ figure, skiff: mib(skiffBytes), peer: `${peerName} ${mib(peerBytes)}`, ratio: pct(skiffBytes, peerBytes), target: 'reported', met: '—', samples: `${skiffBytes} vs ${peerBytes} bytes` });
  const storedFull = await bundle(ctx, 'stored-full-1.0.0', '1.0.0', undefined, false, ctx.storedApp);
  const storedDelta = await bundle(ctx, 'stored-content-1.0.0-2.0.0', '2.0.0', '1.0.0', false, ctx.storedApp);
  const full = await bundle(ctx, 'full-1.0.0', '1.0.0');
  await row('full bundle netapp 1.0.0, stored-gzip layers (for content-level deltas) vs gzip -6 layers', storedFull.size, 'gzip -6 layers', full.size);
  if (contentSize !== undefined) await row('bundle size netapp 1.0.0→2.0.0 content-level, stored-gzip release vs gzip -6 release', storedDelta.size, 'gzip -6 release', contentSize);
  const reads: { stored: ReadFigures[]; gzip6: ReadFigures[] } = { stored: [], gzip6: [] };
  for (let i = 0; i < ROUNDS; i++) {
    reads.stored.push(await reconstruct(ctx, 'stored', storedFull.file, storedDelta.file));
    reads.gzip6.push(await reconstruct(ctx, 'gzip', full.file, contentFile));
  }
  const [stored, gzip6] = [medianRead(reads.stored), medianRead(reads.gzip6)];
  const each = (k: keyof typeof reads): string => reads[k].map((m) => `${m.ms.toFixed(0)} ms (CPU ${m.cpuMs.toFixed(0)} ms)`).join(', ');
  const mbps = (m: ReadFigures) => m.tarBytes / 1e6 / (m.ms / 1000);
  // Per CPU-second: the median of the rounds' CPU times (the median round by wall time may not hold it).
  const cpuMbps = (m: ReadFigures) => m.tarBytes / 1e6 / (median((m === stored ? reads.stored : reads.gzip6).map((r) => r.cpuMs)) / 1000);
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  await record({ figure: `agent reconstruction of ${stored.layers} layers from chunks (stored-gzip release: rebuild, diffID, framing, digest check, staged)`, skiff: `${mbps(stored).toFixed(0)} MB/s`, peer: `gzip -6 release ${mbps(gzip6).toFixed(0)} MB/s`, ratio: `${(mbps(stored) / mbps(gzip6)).toFixed(1)}×`, target: '≥ 200 MB/s', met: mbps(stored) >= 200 ? 'yes' : 'no', samples: `${stored.tarBytes} bytes of tar; stored ${each('stored')}; gzip -6 ${each('gzip6')}; load average ${load}` });
  await record({ figure: 'agent reconstruction per CPU-second (user + system of the read, every thread; load does not inflate it as much as wall time)', skiff: `${cpuMbps(stored).toFixed(0)} MB/s`, peer: `gzip -6 release ${cpuMbps(gzip6).toFixed(0)} MB/s`, ratio: `${(cpuMbps(stored) / cpuMbps(gzip6)).toFixed(1)}×`, target: '≥ 200 MB/s', met: cpuMbps(stored) >= 200 ? 'yes' : 'no', samples: `stored ${each('stored')}; gzip -6 ${each('gzip6')}; load average ${load}` });
  await record({ figure: 'agent peak RSS reading the content-level delta (its own process)', skiff: `${(stored.maxRssKB / 1024).toFixed(0)} MiB`, peer: `gzip -6 release ${(gzip6.maxRssKB / 1024).toFixed(0)} MiB`, ratio: '—', target: 'reported', met: '—', samples: `peak ${stored.maxRssKB} KiB (stored), ${gzip6.maxRssKB} KiB (gzip -6)` });
}

const [flag, root, file, dir] = process.argv.slice(2);
if (flag === '--agent-read') await agentRead(await readFile(root!, 'utf8'), file!, dir!);
else await main();
