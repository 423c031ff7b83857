// Figure: delta bundle size from netapp 1.0.0 to each later version, against `docker save NEW | gzip` (the old zip).
import { stat } from 'node:fs/promises';
import { mib, readSetup, record } from './lib/run.ts';

const TARGETS: Readonly<Record<string, number | undefined>> = { '1.0.1': 0.01, '1.1.0': 0.03, '2.0.0': undefined };

async function main(): Promise<void> {
  const s = await readSetup();
  for (const [v, limit] of Object.entries(TARGETS)) {
    const bundle = s.bundles[`delta-1.0.0-${v}`];
    const zip = s.saved[v];
    if (!bundle || !zip) throw new Error(`setup lacks the delta bundle or the saved archive of ${v}`);
    const ours = (await stat(bundle)).size;
    const peer = (await stat(zip)).size;
    const ratio = ours / peer;
    await record({
      figure: `bundle size netapp 1.0.0→${v} (delta)`,
      skiff: mib(ours),
      peer: mib(peer),
      ratio: `${(ratio * 100).toFixed(2)} %`,
      target: limit === undefined ? 'reported' : `≤ ${limit * 100} %`,
      met: limit === undefined ? '—' : ratio <= limit ? 'yes' : 'no',
      samples: `${ours} vs ${peer} bytes`,
    });
  }
}

await main();
