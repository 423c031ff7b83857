// Figure: the agent's peak resident memory installing the full netapp 2.0.0 bundle into an engine without its
// images, read from `/usr/bin/time -v` ("Maximum resident set size").
import { join } from 'node:path';
import { removeImages, resetAgent } from './lib/engine.ts';
import { ROUNDS, SKIFF, STOP_TIMEOUT, median, readSetup, record, run, workDir } from './lib/run.ts';

const LIMIT_MB = 150;

async function main(): Promise<void> {
  const s = await readSetup();
  const state = join(workDir(), 'rss-agent');
  const peaks: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await resetAgent(s.app, state);
    await removeImages(s.app);
    const r = await run('/usr/bin/time', ['-v', SKIFF, 'agent', 'install', s.bundles['full-2.0.0']!, '--state', state, '--trust', s.root, '--stop-timeout', STOP_TIMEOUT]);
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
    if (!kb) throw new Error('/usr/bin/time -v printed no "Maximum resident set size"');
    peaks.push((Number(kb) * 1024) / 1e6);
  }
  await resetAgent(s.app, state);
  const m = median(peaks);
  await record({
    figure: 'agent peak RSS installing full netapp 2.0.0',
    skiff: `${m.toFixed(0)} MB`,
    peer: '—',
    ratio: '—',
    target: `< ${LIMIT_MB} MB`,
    met: m < LIMIT_MB ? 'yes' : 'no',
    samples: peaks.map((p) => `${p.toFixed(0)} MB`).join(', '),
  });
}

await main();
