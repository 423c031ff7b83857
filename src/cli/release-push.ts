// `skiff release push`: uploads the blobs of a release the hub lacks, then the signed release (src/hub-client does the work).
import { Command } from 'commander';
import { withHubOptions } from './hub-options.ts';
import { progressBar } from './progress.ts';
import { formatBytes, runAction } from './run.ts';
import { uploadScanReport } from './gates.ts';

interface Output {
  write(text: string): unknown;
}

export function releasePushCommand(out: Output = process.stdout): Command {
  return withHubOptions(new Command('push'))
    .description('upload a release from a store to the hub: only the blobs the hub lacks, then the signed release')
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .requiredOption('--store <dir>', 'content store holding the release')
    .option('--scan <file>', 'then upload this signed scan report of the release and its FILE.sig (skiff release scan --json --sign -o FILE), which channel gates check')
    .action((ref: string, o: { hub?: string; token?: string; hubCa?: string; store: string; scan?: string }) =>
      runAction(async () => {
        // Loaded here, not with the command: `skiff release --help` starts without them.
        const [{ connectionFrom, pushRelease }, { parseAppVersion }, { FsBlobStore }] = await Promise.all([import('../hub-client/index.ts'), import('../release/index.ts'), import('../store/index.ts')]);
        const { app, version } = parseAppVersion(ref);
        const bar = progressBar(`push ${app}@${version}`);
        const r = await pushRelease({ conn: connectionFrom(o), store: new FsBlobStore(o.store), app, version, onProgress: (d, t) => bar.update(d, t) }).finally(() => bar.stop());
        out.write(`pushed ${r.app}@${r.version}${r.created ? '' : ' (the hub already had it)'}\n`);
        out.write(`blobs: ${r.sent.length} sent (${formatBytes(r.sentBytes)}), ${r.skipped.length} already on the hub\n`);
        out.write(`release digest: ${r.digest}\n`);
        if (o.scan) out.write(await uploadScanReport(o, app, version, o.scan));
      }),
    );
}
