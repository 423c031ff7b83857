// `skiff release scan`: the release's signed SBOM against an offline OSV database; a table, --json (the scan report
// the hub's gate reads) or --sarif, optionally signed (--sign); `skiff release verify-scan` checks such a signature.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { ScanReport, countBySeverity } from '../scan/index.ts';
import { SkiffError, errorMessage, fsErrorMessage, writeFileAtomic } from '../util/index.ts';
import { runAction } from './run.ts';
import { table } from './release-sbom.ts';

interface Output {
  write(text: string): unknown;
}

// The libraries load when a command runs, not with the command: `skiff release --help` starts without them.
const scanLib = () => import('../scan/index.ts');
const trustLib = () => import('../trust/index.ts');

function describe(r: ScanReport, count: typeof countBySeverity): string {
  const counts = count(r.findings);
  const head = `${r.app}@${r.version}: ${r.findings.length} findings (${Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}) against ${r.database.records} OSV records`;
  if (r.findings.length === 0) return head;
  const rows = [['SEVERITY', 'ID', 'PACKAGE', 'VERSION', 'FIXED', 'SERVICES'], ...r.findings.map((f) => [f.severity, f.id, `${f.package.name} (${f.package.ecosystem})`, f.package.version, f.fixed ?? '-', f.services.join(',')])];
  return `${head}\n${table(rows)}`;
}

/** Writes the report (and with --sign its detached signature, `<output>.sig`), or prints it. */
async function emit(out: Output, text: string, opts: ScanFlags): Promise<void> {
  if (opts.output === undefined) return void out.write(text);
  await writeFileAtomic(opts.output, text);
  if (!opts.sign) return void out.write(`wrote ${opts.output}\n`);
  const { loadTrustDir } = await trustLib();
  const trust = await loadTrustDir(opts.trust!);
  const signature = (await scanLib()).signScanReport(Buffer.from(text), opts.json ? 'json' : 'sarif', trust);
  await writeFileAtomic(`${opts.output}.sig`, `${JSON.stringify(signature, null, 2)}\n`);
  out.write(`wrote ${opts.output} and its signature ${opts.output}.sig (release key${signature.signatures.length === 1 ? '' : 's'} ${signature.signatures.map((s) => s.keyid.slice(0, 8)).join(', ')})\n`);
}

type ScanFlags = { store: string; db: string; json?: boolean; sarif?: boolean; output?: string; sign?: boolean; trust?: string };

function checkFlags(opts: ScanFlags): void {
  if (opts.json && opts.sarif) throw new SkiffError('USAGE', '--json and --sarif are exclusive: pick one output format');
  if (!opts.sign) return;
  if (!opts.json && !opts.sarif) throw new SkiffError('USAGE', '--sign signs the --json or the --sarif report: add one of them');
  if (opts.output === undefined) throw new SkiffError('USAGE', '--sign needs --output FILE: the report goes there and its signature to FILE.sig');
  if (opts.trust === undefined) throw new SkiffError('USAGE', '--sign needs --trust DIR, the trust dir holding the release signing keys');
}

export function releaseScanCommand(out: Output): Command {
  return new Command('scan')
    .description("scan a release's SBOM for known vulnerabilities against an OSV database file (offline)")
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .requiredOption('--store <dir>', 'content store')
    .requiredOption('--db <osv.zip|dir>', 'OSV records: a .zip as osv.dev publishes them, or a directory of OSV JSON files')
    .option('--json', 'print the scan report as JSON (what skiff release push --scan uploads)')
    .option('--sarif', 'print SARIF 2.1.0 (for code-scanning tools)')
    .option('-o, --output <file>', 'write the report to this file instead of printing it')
    .option('--sign', 'sign the report with the release keys: a detached signature in <output>.sig that skiff release verify-scan checks')
    .option('--trust <dir>', 'trust dir holding the release signing keys (with --sign)')
    .action((ref: string, opts: ScanFlags) =>
      runAction(async () => {
        checkFlags(opts);
        const [{ AGENT_VERSION, getRelease, parseAppVersion }, { countBySeverity, loadOsvDatabase, scanRelease, toSarif }, { FsBlobStore }] = await Promise.all([import('../release/index.ts'), scanLib(), import('../store/index.ts')]);
        const { app, version } = parseAppVersion(ref);
        const store = new FsBlobStore(opts.store);
        const release = await getRelease(store, app, version);
        const report = await scanRelease(store, release, await loadOsvDatabase(opts.db));
        if (opts.json) await emit(out, `${JSON.stringify(report, null, 2)}\n`, opts);
        else if (opts.sarif) await emit(out, `${JSON.stringify(toSarif(report, AGENT_VERSION), null, 2)}\n`, opts);
        else await emit(out, `${describe(report, countBySeverity)}\n`, opts);
      }),
    );
}

const readInput = (file: string, what: string): Promise<Buffer> =>
  readFile(file).catch((e: unknown) => {
    throw new SkiffError('USAGE', fsErrorMessage(e, what, { path: file }) ?? `cannot read ${what} ${file}: ${errorMessage(e)}`, { cause: e });
  });

export function releaseVerifyScanCommand(out: Output): Command {
  return new Command('verify-scan')
    .description("check that a scan report (JSON or SARIF) is the vendor's, unaltered: its detached signature against the vendor's root.json")
    .argument('<report>', 'the report file skiff release scan --sign wrote')
    .requiredOption('--root <root.json>', "the vendor's root.json (the one your agents pin)")
    .option('--signature <file>', 'the detached signature (default: <report>.sig)')
    .action((report: string, opts: { root: string; signature?: string }) =>
      runAction(async () => {
        const signature = opts.signature ?? `${report}.sig`;
        const [{ parseRoot }, { verifyScanReport }] = await Promise.all([trustLib(), scanLib()]);
        const root = parseRoot(await readInput(opts.root, 'the root'), opts.root);
        const v = verifyScanReport(await readInput(report, 'the report'), await readInput(signature, 'the signature'), root, { report, signature });
        out.write(`verified scan report ${report} (${v.format === 'json' ? 'JSON' : 'SARIF'}) of ${v.app}@${v.version} (release ${v.releaseDigest.slice(0, 19)}…): ${v.findings} finding${v.findings === 1 ? '' : 's'}, signed by release key${v.keyids.length === 1 ? '' : 's'} ${v.keyids.map((k) => k.slice(0, 8)).join(', ')} of root version ${v.rootVersion}\n`);
      }),
    );
}
