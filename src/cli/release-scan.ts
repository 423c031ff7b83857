// `skiff release scan`: the release's signed SBOM against an offline OSV database; a table, --json (the scan report
// the hub's gate reads) or --sarif.
import { Command } from 'commander';
import type { ScanReport, countBySeverity } from '../scan/index.ts';
import { SkiffError } from '../util/index.ts';
import { runAction } from './run.ts';
import { table } from './release-sbom.ts';

interface Output {
  write(text: string): unknown;
}

function describe(r: ScanReport, count: typeof countBySeverity): string {
  const counts = count(r.findings);
  const head = `${r.app}@${r.version}: ${r.findings.length} findings (${Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}) against ${r.database.records} OSV records`;
  if (r.findings.length === 0) return head;
  const rows = [['SEVERITY', 'ID', 'PACKAGE', 'VERSION', 'FIXED', 'SERVICES'], ...r.findings.map((f) => [f.severity, f.id, `${f.package.name} (${f.package.ecosystem})`, f.package.version, f.fixed ?? '-', f.services.join(',')])];
  return `${head}\n${table(rows)}`;
}

export function releaseScanCommand(out: Output): Command {
  return new Command('scan')
    .description("scan a release's SBOM for known vulnerabilities against an OSV database file (offline)")
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .requiredOption('--store <dir>', 'content store')
    .requiredOption('--db <osv.zip|dir>', 'OSV records: a .zip as osv.dev publishes them, or a directory of OSV JSON files')
    .option('--json', 'print the scan report as JSON (what skiff release push --scan uploads)')
    .option('--sarif', 'print SARIF 2.1.0 (for code-scanning tools)')
    .action((ref: string, opts: { store: string; db: string; json?: boolean; sarif?: boolean }) =>
      runAction(async () => {
        if (opts.json && opts.sarif) throw new SkiffError('USAGE', '--json and --sarif are exclusive: pick one output format');
        // Loaded here, not with the command: `skiff release --help` starts without them.
        const [{ AGENT_VERSION, getRelease, parseAppVersion }, { countBySeverity, loadOsvDatabase, scanRelease, toSarif }, { FsBlobStore }] = await Promise.all([import('../release/index.ts'), import('../scan/index.ts'), import('../store/index.ts')]);
        const { app, version } = parseAppVersion(ref);
        const store = new FsBlobStore(opts.store);
        const release = await getRelease(store, app, version);
        const report = await scanRelease(store, release, await loadOsvDatabase(opts.db));
        if (opts.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (opts.sarif) out.write(`${JSON.stringify(toSarif(report, AGENT_VERSION), null, 2)}\n`);
        else out.write(`${describe(report, countBySeverity)}\n`);
      }),
    );
}
