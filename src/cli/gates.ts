// The promotion-gate commands: `skiff channel policy` (a channel's gate), `skiff release waive` (a finding waived with a
// reason and an expiry) and the scan report upload `skiff release push --scan` uses.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string; hubCa?: string };

// Loaded when a command runs, not when it is defined: `--help` starts without zod and the scanner.
const releaseLib = () => import('../release/index.ts');
const scanLib = () => import('../scan/index.ts');

interface PolicyView {
  channel: string;
  failOn: string | null;
  refusedLicenses: string[];
}

const describePolicy = (p: PolicyView): string =>
  `${p.channel}: ${p.failOn ? `scan findings at or above ${p.failOn} refuse a release` : 'no scan needed'}; refused licenses: ${p.refusedLicenses.join(', ') || 'none'}\n`;

/** `skiff channel policy <app> <channel>`: shows the gate, or sets it with --fail-on / --refuse-license. */
export function channelPolicyCommand(out: Output): Command {
  return withHubOptions(new Command('policy'))
    .argument('<app>')
    .argument('<channel>')
    .description("show or set a channel's promotion gate (vulnerability severity, refused licenses)")
    .option('--fail-on <severity>', 'refuse releases with scan findings at or above this severity (low, medium, high, critical), or none')
    .option('--refuse-license <license...>', 'licenses the channel refuses (SPDX ids or names as the SBOM states them); none to clear')
    .action((app: string, channel: string, o: HubOpts & { failOn?: string; refuseLicense?: string[] }) =>
      runAction(async () => {
        const path = `/apps/${encodeURIComponent(app)}/channels/${encodeURIComponent(channel)}/policy`;
        const client = clientFrom(o);
        const current = await client.get<PolicyView>(path);
        if (o.failOn === undefined && o.refuseLicense === undefined) return void out.write(describePolicy(current));
        const { SEVERITIES, isSeverityLevel } = await scanLib();
        if (o.failOn !== undefined && o.failOn !== 'none' && !isSeverityLevel(o.failOn))
          throw new SkiffError('USAGE', `--fail-on ${o.failOn} is not a severity: use one of ${SEVERITIES.join(', ')}, or none`);
        const failOn = o.failOn === undefined ? current.failOn : o.failOn === 'none' ? null : o.failOn;
        const refusedLicenses = o.refuseLicense === undefined ? current.refusedLicenses : o.refuseLicense.filter((l) => l !== 'none');
        out.write(describePolicy(await client.request<PolicyView>('PUT', path, { failOn, refusedLicenses })));
      }),
    );
}

/** `skiff release waive <app@version> <finding>`: lets channel gates pass one finding of one release, for a while. */
export function releaseWaiveCommand(out: Output): Command {
  return withHubOptions(new Command('waive'))
    .argument('<app@version>', 'the release, e.g. netmon@1.2.0')
    .argument('<finding>', 'an advisory id (e.g. DSA-5000-1, GHSA-…) or license:NAME')
    .description('waive a finding of a release for channel gates; the reason and expiry go to the audit log')
    .requiredOption('--reason <text>', 'why the finding is acceptable for now')
    .requiredOption('--expires <date>', 'when the waiver ends (YYYY-MM-DD or ISO 8601, at most a year ahead)')
    .action((ref: string, finding: string, o: HubOpts & { reason: string; expires: string }) =>
      runAction(async () => {
        const { app, version } = (await releaseLib()).parseAppVersion(ref);
        const w = await clientFrom(o).post<{ finding: string; expiresAt: string }>(`/apps/${encodeURIComponent(app)}/releases/${encodeURIComponent(version)}/waivers`, {
          finding,
          reason: o.reason,
          expiresAt: o.expires,
        });
        out.write(`waived ${w.finding} for ${app}@${version} until ${w.expiresAt}\n`);
      }),
    );
}

/**
 * Uploads a signed scan report (skiff release scan --json --sign: `file` and its signature `file.sig`, each as the exact
 * text the hub verifies) for `app@version`; returns the hub's summary line.
 */
export async function uploadScanReport(o: HubOpts, app: string, version: string, file: string): Promise<string> {
  const sign = `sign it with skiff release scan ${app}@${version} --db osv.zip --json --sign --trust DIR -o ${file}`;
  const read = (at: string, what: string) =>
    readFile(at, 'utf8').catch((e: unknown) => {
      const fix = at === file ? undefined : `gates count only signed scan reports; ${sign}`;
      throw new SkiffError('NOT_FOUND', fsErrorMessage(e, what, { path: at, fix }) ?? `cannot read ${what} ${at}: ${errorMessage(e)}`, { cause: e });
    });
  const report = await read(file, 'the scan report');
  const signature = await read(`${file}.sig`, 'its signature');
  const r = await clientFrom(o).request<{ reportDigest: string; findings: Record<string, number> }>('PUT', `/apps/${encodeURIComponent(app)}/releases/${encodeURIComponent(version)}/scan`, { report, signature });
  const counts = Object.entries(r.findings).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ');
  return `scan report ${r.reportDigest} uploaded (${counts || 'no findings'})\n`;
}
