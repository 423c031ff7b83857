// Figure: install — the bundle on disk to the new version healthy, from an engine without the app's images,
// against the old script (`docker load` of the zip, then stop, rm, run) until its first healthy probe. Interleaved.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeImages, resetAgent } from './lib/engine.ts';
import { untilHealthy } from './lib/probe.ts';
import { REPO, ROUNDS, STOP_TIMEOUT, image, median, readSetup, record, run, secs, skiff, workDir } from './lib/run.ts';

async function main(): Promise<void> {
  const s = await readSetup();
  const state = join(workDir(), 'in-agent');
  const peer = `${s.app}-oldscript`;
  const ours: number[] = [];
  const returned: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await resetAgent(s.app, state, [peer]);
    await removeImages(s.app);
    // Both sides end at the same moment: the first good probe of the new version from outside. The agent's own
    // return comes later (its health gate waits for Docker's healthcheck, every 1 s, then commits and prunes).
    const healthy = untilHealthy(s.port, 300_000);
    returned.push((await skiff('agent', 'install', s.bundles['full-1.0.0']!, '--state', state, '--trust', s.root, '--stop-timeout', STOP_TIMEOUT)).ms);
    ours.push(await healthy);
    await resetAgent(s.app, state, [peer]);
    await removeImages(s.app);
    const t0 = performance.now();
    await run('bash', [join(REPO, 'bench/old-upgrade.sh'), s.saved['1.0.0']!, image('1.0.0'), peer, s.network, String(s.port), STOP_TIMEOUT]);
    await untilHealthy(s.port);
    theirs.push(performance.now() - t0);
  }
  await resetAgent(s.app, state, [peer]);
  const a = median(ours);
  const b = median(theirs);
  const c = median(returned);
  await record({
    figure: 'install full netapp 1.0.0: bundle on disk → first healthy probe (engine without its images)',
    skiff: secs(a),
    peer: secs(b),
    ratio: `${(b / a).toFixed(2)}× faster`,
    target: 'faster',
    met: a < b ? 'yes' : 'no',
    samples: `skiff ${ours.map(secs).join(', ')}; old script ${theirs.map(secs).join(', ')}`,
  });
  await record({
    figure: 'install full netapp 1.0.0: until `skiff agent install` returns (health gate passed, committed; extra row)',
    skiff: secs(c),
    peer: secs(b),
    ratio: `${(b / c).toFixed(2)}× faster`,
    target: '—',
    met: '—',
    samples: `skiff ${returned.map(secs).join(', ')}`,
  });
}

await main();
