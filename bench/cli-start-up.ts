// Figure: CLI start-up of every command group and of the heavy one-shot commands — `skiff --version`, `skiff <group>
// --help` and the leaf rows as an installed package runs them (the built dist/main.js, which bin/skiff.js imports when there is no git checkout to compare against) —
// against `node -e 0`, Node's own start-up, interleaved. Wall and CPU time. bin/skiff.js in this checkout also walks
// the sources to see whether dist/ is stale; that is a developer's cost, left out of the figure.
// A one-shot command's own start-up is more than its group's help: the leaf rows run heavy commands against an input
// that cannot exist (a path through a regular file), so each loads what it needs, touches the input, and fails there.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmtMs, median, record, REPO, run } from './lib/run.ts';

const BUILT = join(REPO, 'dist/main.js');

const GROUPS = ['trust', 'release', 'bundle', 'agent', 'hub', 'app', 'channel', 'customer', 'instance', 'fleet', 'values', 'rollout', 'logs', 'alerts', 'report', 'support-bundle', 'webhook'];
const TARGET_MS = 150;

/** One-shot commands against a missing input under `missing` (a path through a file): [row name, argv, the error expected]. */
const leafCommands = (missing: string): [string, string[], RegExp][] => [
  ['skiff bundle verify <missing>', ['bundle', 'verify', `${missing}/app.skiff`, '--trust', `${missing}/root.json`], /root\.json/],
  ['skiff bundle inspect <missing>', ['bundle', 'inspect', `${missing}/app.skiff`], /app\.skiff/],
  ['skiff agent install <missing>', ['agent', 'install', `${missing}/app.skiff`, '--state', `${missing}/state`, '--trust', `${missing}/root.json`], /missing/],
  ['skiff release create <missing>', ['release', 'create', '--compose', `${missing}/compose.yaml`, '--app', 'bench', '--version', '1.0.0', '--trust', `${missing}/keys`, '--store', `${missing}/store`], /missing/],
  ['skiff agent status <missing>', ['agent', 'status', '--state', `${missing}/state`], /missing|nothing/],
  ['skiff fleet --hub-ca <missing>', ['fleet', '--hub', 'https://127.0.0.1:9', '--token', 't', '--hub-ca', `${missing}/ca.pem`], /ca\.pem/],
];

/** Wall time and CPU time (user + system) of one run, through GNU time; `fails` is the error a leaf row must end in. */
async function timed(args: string[], fails?: RegExp): Promise<{ ms: number; cpuMs: number }> {
  if (!fails) return cpuOf(await run('/usr/bin/time', ['-f', 'cpu %U %S', ...args]));
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject).on('close', (c) => resolve({ code: c, stderr: err }));
  });
  // Start-up only if it failed at the input: anything else (a usage error, a success) measured something else.
  if (code === 0 || !fails.test(stderr)) throw new Error(`${args.slice(1).join(' ')} did not fail at its missing input: ${stderr.trim()}`);
  return cpuOf({ ms: performance.now() - t0, stderr });
}

function cpuOf(r: { ms: number; stderr: string }): { ms: number; cpuMs: number } {
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error('/usr/bin/time printed no CPU times');
  return { ms: r.ms, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 };
}

async function main(): Promise<void> {
  // Cheap figure on a shared machine: more rounds than the others, so the medians settle.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3) + 4;
  const scratch = await mkdtemp(join(tmpdir(), 'skiff-bench-start-up-'));
  await writeFile(join(scratch, 'file'), '');
  const commands: [string, string[], RegExp?][] = [['skiff --version', ['--version']], ...GROUPS.map((g): [string, string[]] => [`skiff ${g} --help`, [g, '--help']]), ...leafCommands(join(scratch, 'file', 'missing'))];
  const node: { ms: number; cpuMs: number }[] = [];
  const ours = new Map<string, { ms: number; cpuMs: number }[]>(commands.map(([name]) => [name, []]));
  const built = await stat(BUILT).catch(() => undefined);
  const sources = await readdir(join(REPO, 'src'), { recursive: true });
  const newest = Math.max(...(await Promise.all(sources.map(async (f) => (await stat(join(REPO, 'src', f))).mtimeMs))));
  if (!built || built.mtimeMs < newest) throw new Error('dist/ is older than src/: run `npm run build` first (bench/run.sh does)');
  await run(process.execPath, [BUILT, '--version']);
  for (let i = 0; i < rounds; i++) {
    node.push(await timed([process.execPath, '-e', '0']));
    for (const [name, args, fails] of commands) ours.get(name)!.push(await timed([process.execPath, BUILT, ...args], fails));
  }
  await rm(scratch, { recursive: true, force: true });
  const peer = median(node.map((s) => s.ms));
  const peerCpu = median(node.map((s) => s.cpuMs));
  for (const [name] of commands) {
    const samples = ours.get(name)!;
    const a = median(samples.map((s) => s.ms));
    const cpu = median(samples.map((s) => s.cpuMs));
    await record({
      figure: `CLI start-up: ${name} (wall; \`node -e 0\` as the peer)`,
      skiff: fmtMs(a),
      peer: fmtMs(peer),
      ratio: `+${fmtMs(a - peer)} over Node (CPU ${fmtMs(cpu)} vs ${fmtMs(peerCpu)})`,
      target: `< ${TARGET_MS} ms`,
      met: a < TARGET_MS ? 'yes' : 'no',
      samples: `skiff ${samples.map((s) => `${fmtMs(s.ms)} (CPU ${fmtMs(s.cpuMs)})`).join(', ')}; node -e 0 ${node.map((s) => fmtMs(s.ms)).join(', ')}`,
    });
  }
}

await main();
