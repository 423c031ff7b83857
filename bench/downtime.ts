// Figure: upgrade downtime netapp 1.0.0 → 1.0.1 (probe every 10 ms): Skiff's delta install, the old script, and
// the target baseline — the same container's own docker stop + docker start + first healthy probe. Interleaved.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeContainers, resetAgent } from './lib/engine.ts';
import { ProbeLoop, untilHealthy } from './lib/probe.ts';
import { REPO, ROUNDS, STOP_TIMEOUT, fmtMs, image, median, readSetup, record, run, skiff, sleep, workDir, type BenchSetup } from './lib/run.ts';

async function skiffUpgrade(s: BenchSetup, state: string, peer: string): Promise<number> {
  await resetAgent(s.app, state, [peer]);
  await skiff('agent', 'install', s.bundles['full-1.0.0']!, '--state', state, '--trust', s.root, '--stop-timeout', STOP_TIMEOUT);
  await untilHealthy(s.port);
  const probe = new ProbeLoop(s.port);
  probe.start();
  await skiff('agent', 'install', s.bundles['delta-1.0.0-1.0.1']!, '--state', state, '--stop-timeout', STOP_TIMEOUT);
  await sleep(300);
  return (await probe.stop()).longestGapMs;
}

async function scriptUpgrade(s: BenchSetup, name: string): Promise<number> {
  await removeContainers(s.app, [name]);
  await run('docker', ['run', '-d', '--name', name, '--network', s.network, '-p', `127.0.0.1:${s.port}:8080`, '-e', 'HOST=0.0.0.0', image('1.0.0')]);
  await untilHealthy(s.port);
  const probe = new ProbeLoop(s.port);
  probe.start();
  await run('bash', [join(REPO, 'bench/old-upgrade.sh'), s.saved['1.0.1']!, image('1.0.1'), name, s.network, String(s.port), STOP_TIMEOUT]);
  await untilHealthy(s.port);
  await sleep(300);
  return (await probe.stop()).longestGapMs;
}

/** The container the old script left running: its own stop + start + first healthy probe. */
async function baseline(s: BenchSetup, name: string): Promise<number> {
  const t0 = performance.now();
  await run('docker', ['stop', '-t', STOP_TIMEOUT, name]);
  await run('docker', ['start', name]);
  await untilHealthy(s.port);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const s = await readSetup();
  const state = join(workDir(), 'dt-agent');
  const peer = `${s.app}-oldscript`;
  const ours: number[] = [];
  const theirs: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ours.push(await skiffUpgrade(s, state, peer));
    await resetAgent(s.app, state);
    theirs.push(await scriptUpgrade(s, peer));
    base.push(await baseline(s, peer));
  }
  await resetAgent(s.app, state, [peer]);
  const a = median(ours);
  const b = median(theirs);
  const c = median(base);
  const samples = `skiff ${ours.map(fmtMs).join(', ')}; old script ${theirs.map(fmtMs).join(', ')}; stop+start+probe ${base.map(fmtMs).join(', ')}`;
  await record({ figure: `upgrade downtime 1.0.0→1.0.1 (longest probe gap; stop timeout ${STOP_TIMEOUT} s everywhere)`, skiff: fmtMs(a), peer: `${fmtMs(b)} (old script)`, ratio: `${(b / a).toFixed(2)}× shorter`, target: `≤ stop + start + first probe = ${fmtMs(c)}`, met: a <= c ? 'yes' : 'no', samples });
}

await main();
