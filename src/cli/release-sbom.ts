// `skiff release sbom` and `skiff release licenses`: a release's SBOM (CycloneDX JSON as signed, or a table of its
// packages) and the license report made from it.
import { Command, Option } from 'commander';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

/** Loaded when a command runs: `skiff release --help` starts without them. */
const libs = async () => {
  const [release, sbom, { FsBlobStore }] = await Promise.all([import('../release/index.ts'), import('../sbom/index.ts'), import('../store/index.ts')]);
  return { ...release, ...sbom, FsBlobStore };
};

/** Fixed-width columns, the last one free. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

export function releaseSbomCommand(out: Output): Command {
  return new Command('sbom')
    .description("print a release's SBOM (CycloneDX 1.5 JSON), built from its images' layers at release create")
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .requiredOption('--store <dir>', 'content store')
    .addOption(new Option('--format <format>', 'json: the CycloneDX document; table: one package a line').choices(['json', 'table']).default('json'))
    .action((ref: string, opts: { store: string; format: 'json' | 'table' }) =>
      runAction(async () => {
        const { parseAppVersion, getRelease, releaseSbom, sbomPackages, FsBlobStore } = await libs();
        const { app, version } = parseAppVersion(ref);
        const store = new FsBlobStore(opts.store);
        const bytes = await releaseSbom(store, await getRelease(store, app, version));
        if (opts.format === 'json') {
          out.write(bytes.toString('utf8'));
          return;
        }
        const packages = sbomPackages(bytes, `the SBOM of ${ref}`).sort((a, b) => a.ecosystem.localeCompare(b.ecosystem) || a.name.localeCompare(b.name));
        const rows = [['ECOSYSTEM', 'NAME', 'VERSION', 'LICENSES', 'SERVICES'], ...packages.map((p) => [p.ecosystem, p.name, p.version, p.licenses.join(', ') || '-', p.services.join(',')])];
        out.write(`${table(rows)}\n${packages.length} packages\n`);
      }),
    );
}

export function releaseLicensesCommand(out: Output): Command {
  return new Command('licenses')
    .description("report the licenses of a release's packages, from its SBOM: each license with the packages stating it")
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .requiredOption('--store <dir>', 'content store')
    .option('--json', 'print JSON')
    .action((ref: string, opts: { store: string; json?: boolean }) =>
      runAction(async () => {
        const { parseAppVersion, getRelease, releaseSbom, sbomPackages, licenseReport, FsBlobStore } = await libs();
        const { app, version } = parseAppVersion(ref);
        const store = new FsBlobStore(opts.store);
        const report = licenseReport(sbomPackages(await releaseSbom(store, await getRelease(store, app, version)), `the SBOM of ${ref}`));
        if (opts.json) {
          const json = report.map((g) => ({ license: g.license, packages: g.packages.map((p) => ({ name: p.name, version: p.version, ecosystem: p.ecosystem, purl: p.purl, services: p.services })) }));
          out.write(`${JSON.stringify(json, null, 2)}\n`);
          return;
        }
        for (const g of report) out.write(`${g.license} (${g.packages.length}): ${g.packages.map((p) => `${p.name}@${p.version}`).join(', ')}\n`);
      }),
    );
}
