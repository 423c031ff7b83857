// Writes bench/RESULTS.md from the run's rows and notes, with the machine it ran on and the command.
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO, run, workDir, type ResultRow } from './lib/run.ts';
import { tickFlatRow } from './lib/tick-flat.ts';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

async function main(): Promise<void> {
  const dir = workDir();
  const rows = (await readFile(join(dir, 'results.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ResultRow);
  const flat = tickFlatRow(rows);
  if (flat) rows.push(flat);
  const notes = await readFile(join(dir, 'notes.md'), 'utf8').catch(() => '');
  const explain = await readFile(join(REPO, 'bench/ANALYSIS.md'), 'utf8').catch(() => '');
  const docker = (await run('docker', ['version', '--format', 'server {{.Server.Version}} (API {{.Server.APIVersion}})'])).stdout.trim();
  const started = process.env.BENCH_STARTED ?? '';
  const lines = [
    '# Skiff benchmark results',
    '',
    'Written by `npm run bench` (bench/run.sh); every figure is measured against its peer in the same run, interleaved,',
    `as the median of ${process.env.BENCH_ROUNDS ?? 3} rounds. The corpus comes from \`../shared/bench/make-corpus.sh\`.`,
    '',
    `- date: ${new Date().toISOString()}${started ? ` (run started ${started})` : ''}`,
    `- machine: ${availableParallelism()} CPUs (\`nproc\`), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${cpus()[0]?.model ?? 'unknown CPU'}`,
    `- Docker Engine ${docker}; Node ${process.version}`,
    '- command: `npm run bench`',
    '',
    '| figure | Skiff | peer | ratio | target | met? |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${[r.figure, r.skiff, r.peer, r.ratio, r.target, r.met].map(cell).join(' | ')} |`),
    '',
    '## Samples',
    '',
    ...rows.map((r) => `- ${r.figure}: ${r.samples ?? '—'}`),
    '',
    '## Notes',
    '',
    notes.trim(),
    '',
    ...(explain.trim() ? [explain.trim(), ''] : []),
  ];
  // A partial run (BENCH_ONLY) must not replace the whole run's record: its table goes to the terminal only.
  if (process.env.BENCH_ONLY) {
    process.stdout.write(`BENCH_ONLY="${process.env.BENCH_ONLY}": bench/RESULTS.md left as it was\n\n${lines.slice(10, 12 + rows.length).join('\n')}\n`);
    return;
  }
  await writeFile(join(REPO, 'bench/RESULTS.md'), lines.join('\n'));
  process.stdout.write(`wrote bench/RESULTS.md (${rows.length} rows)\n`);
}

await main();
