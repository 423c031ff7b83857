// A channel's promotion gate as a pure decision: what in a release's scan report and SBOM the channel's policy refuses,
// less what unexpired waivers cover. The hub loads the inputs and refuses the promotion with the message made here.
import { refusedLicenses, type SbomPackage } from '../sbom/index.ts';
import type { ScanReport } from './report.ts';
import { severityRank, type SeverityLevel } from './severity.ts';

export interface GatePolicy {
  readonly failOn: SeverityLevel | null;
  readonly refusedLicenses: readonly string[];
}

export interface GateInput {
  readonly policy: GatePolicy;
  /** The scan report uploaded for this very release (same release digest) that counts (signed); undefined when none does. */
  readonly report: ScanReport | undefined;
  /** Why the report uploaded for the release does not count (unsigned, its signature does not verify). */
  readonly uncounted?: string;
  /** The release's SBOM packages; undefined when the release carries no SBOM. */
  readonly packages: readonly SbomPackage[] | undefined;
  readonly waivers: readonly { readonly finding: string; readonly expiresAt: string }[];
  readonly now: Date;
}

export type GateBlock =
  | { readonly kind: 'no-scan'; readonly why?: string }
  | { readonly kind: 'no-sbom' }
  | { readonly kind: 'vulnerability'; readonly finding: string; readonly severity: string; readonly package: string }
  | { readonly kind: 'license'; readonly finding: string; readonly license: string; readonly package: string };

/** The waiver key of a license finding. */
export const licenseFinding = (license: string): string => `license:${license}`;

/** What blocks the release (empty: it passes), and which findings passed only by a waiver. */
export function gateDecision(input: GateInput): { blocks: GateBlock[]; waived: string[] } {
  const live = new Set(input.waivers.filter((w) => Date.parse(w.expiresAt) > input.now.getTime()).map((w) => w.finding));
  const blocks: GateBlock[] = [];
  const waived = new Set<string>();
  const { failOn } = input.policy;
  if (failOn) {
    if (!input.report) blocks.push(input.uncounted === undefined ? { kind: 'no-scan' } : { kind: 'no-scan', why: input.uncounted });
    else
      for (const f of input.report.findings) {
        if (severityRank(f.severity) < severityRank(failOn)) continue;
        if (live.has(f.id)) waived.add(f.id);
        else blocks.push({ kind: 'vulnerability', finding: f.id, severity: f.severity, package: `${f.package.name}@${f.package.version}` });
      }
  }
  if (input.policy.refusedLicenses.length > 0) {
    if (!input.packages) blocks.push({ kind: 'no-sbom' });
    else
      for (const r of refusedLicenses(input.packages, input.policy.refusedLicenses)) {
        const finding = licenseFinding(r.license);
        if (live.has(finding)) waived.add(finding);
        else blocks.push({ kind: 'license', finding, license: r.license, package: `${r.package.name}@${r.package.version}` });
      }
  }
  return { blocks, waived: [...waived].sort() };
}

const describe = (b: GateBlock): string =>
  b.kind === 'vulnerability' ? `${b.finding} (${b.severity}, ${b.package})` : b.kind === 'license' ? `${b.license} (${b.package})` : '';

/** One line: why channel `channel` refuses `app@version`, and what to do. */
export function gateMessage(app: string, version: string, channel: string, policy: GatePolicy, blocks: readonly GateBlock[]): string {
  const ref = `${app}@${version}`;
  const noScan = blocks.find((b) => b.kind === 'no-scan');
  if (noScan)
    return `channel "${channel}" admits only releases with a signed scan report (findings at or above ${policy.failOn} refuse)${noScan.why === undefined ? '' : ` and ${ref} has none: ${noScan.why}`}; scan ${ref} (skiff release scan ${ref} --db osv.zip --json --sign --trust DIR -o scan.json) and upload the report with its signature (skiff release push ${ref} --scan scan.json) first`;
  if (blocks.some((b) => b.kind === 'no-sbom'))
    return `channel "${channel}" refuses licenses (${policy.refusedLicenses.join(', ')}) and ${ref} carries no SBOM to check them against: publish a new version made by a Skiff that writes SBOMs`;
  const vulns = blocks.filter((b) => b.kind === 'vulnerability');
  const licenses = blocks.filter((b) => b.kind === 'license');
  const parts: string[] = [];
  const list = (xs: readonly GateBlock[]) => `${xs.slice(0, 5).map(describe).join(', ')}${xs.length > 5 ? ` and ${xs.length - 5} more` : ''}`;
  if (vulns.length > 0) parts.push(`${vulns.length} unwaived finding(s) at or above ${policy.failOn}: ${list(vulns)}`);
  if (licenses.length > 0) parts.push(`${licenses.length} package(s) under a refused license: ${list(licenses)}`);
  return `channel "${channel}" refuses ${ref}: ${parts.join('; ')}; fix them in a new release, or waive each with a reason and an expiry (skiff release waive ${ref} FINDING --reason … --expires …)`;
}
