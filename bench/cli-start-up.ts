// Figure: CLI start-up of every command group — `skiff --version` and `skiff <group> --help` as an installed package
// runs them (the built dist/main.js, which bin/skiff.js imports when there is no git checkout to compare against) —
// against `node -e 0`, Node's own start-up, interleaved. Wall and CPU time. bin/skiff.js in this checkout also walks
// the sources to see whether dist/ is stale; that is a developer's cost, left out of the figure.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fmtMs, median, record, REPO, run } from './lib/run.ts';

const BUILT = join(REPO, 'dist/main.js');

const GROUPS = ['trust', 'release', 'bundle', 'agent', 'hub', 'app', 'channel', 'customer', 'instance', 'fleet', 'values', 'rollout', 'logs', 'alerts', 'report', 'support-bundle', 'webhook'];
const TARGET_MS = 150;

/** Wall time and CPU time (user + system) of one run, through GNU time. */
async function timed(args: string[]): Promise<{ ms: number; cpuMs: number }> {
  const r = await run('/usr/bin/time', ['-f', 'cpu %U %S', ...args]);
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error('/usr/bin/time printed no CPU times');
  return { ms: r.ms, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 };
}

async function main(): Promise<void> {
  // Cheap figure on a shared machine: more rounds than the others, so the medians settle.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3) + 4;
  const commands: [string, string[]][] = [['skiff --version', ['--version']], ...GROUPS.map((g): [string, string[]] => [`skiff ${g} --help`, [g, '--help']])];
  const node: { ms: number; cpuMs: number }[] = [];
  const ours = new Map<string, { ms: number; cpuMs: number }[]>(commands.map(([name]) => [name, []]));
  const built = await stat(BUILT).catch(() => undefined);
  const sources = await readdir(join(REPO, 'src'), { recursive: true });
  const newest = Math.max(...(await Promise.all(sources.map(async (f) => (await stat(join(REPO, 'src', f))).mtimeMs))));
  if (!built || built.mtimeMs < newest) throw new Error('dist/ is older than src/: run `npm run build` first (bench/run.sh does)');
  await run(process.execPath, [BUILT, '--version']);
  for (let i = 0; i < rounds; i++) {
    node.push(await timed([process.execPath, '-e', '0']));
    for (const [name, args] of commands) ours.get(name)!.push(await timed([process.execPath, BUILT, ...args]));
  }
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
