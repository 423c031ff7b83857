// `skiff bundle fetch`: downloads a release's .skiff bundle (full or delta) from the hub, resuming a cut download.
import { Command } from 'commander';
import type { parseAppVersion } from '../release/index.ts';
import { SkiffError } from '../util/index.ts';
import { withHubOptions } from './hub-options.ts';
import { progressBar } from './progress.ts';
import { formatBytes, runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

/** `--from 1.1.0` or `--from netmon@1.1.0`. */
function fromVersion(parse: typeof parseAppVersion, from: string, app: string): string {
  if (!from.includes('@')) return from;
  const b = parse(from);
  if (b.app !== app) throw new SkiffError('USAGE', `--from ${from} is another app than ${app}: a delta needs two versions of one app`);
  return b.version;
}

export function bundleFetchCommand(out: Output = process.stdout): Command {
  return withHubOptions(new Command('fetch'))
    .description('download a release from the hub as a .skiff bundle (a delta with --from)')
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .option('--from <version>', 'the version the site runs (VERSION or APP@VERSION): a delta bundle; repeat it for a delta that applies to any one of several', (v: string, prev: string[] = []) => [...prev, v])
    .requiredOption('-o, --output <file>', 'the .skiff file to write')
    .action((ref: string, o: { hub?: string; token?: string; hubCa?: string; from?: string[]; output: string }) =>
      runAction(async () => {
        // Loaded here, not with the command: `skiff bundle --help` starts without them.
        const [{ connectionFrom, fetchBundle }, { parseAppVersion }] = await Promise.all([import('../hub-client/index.ts'), import('../release/index.ts')]);
        const { app, version } = parseAppVersion(ref);
        const from = (o.from ?? []).map((f) => fromVersion(parseAppVersion, f, app));
        const conn = connectionFrom(o);
        const bar = progressBar(`fetch ${app}@${version}`);
        const r = await fetchBundle({ conn, app, version, output: o.output, from, onProgress: (d, t) => bar.update(d, t) }).finally(() => bar.stop());
        out.write(`wrote ${r.file}: ${app}@${version}${from.length === 0 ? ' (full)' : ` (delta from ${from.join(' or ')})`}\n`);
        out.write(`size: ${formatBytes(r.size)} (${r.size} bytes)\n`);
        out.write(`sha256: ${r.digest.slice('sha256:'.length)}\n`);
      }),
    );
}
