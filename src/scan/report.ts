// The scan report of a release (what `release scan --json` prints and the hub's promotion gate checks, tied to the
// release by its digest) and its SARIF 2.1.0 form for code-scanning tools.
import * as z from 'zod';
import { isDigest, type Digest } from '../oci/index.ts';
import type { Finding } from './scan.ts';
import { SEVERITIES, type FindingSeverity } from './severity.ts';

export const SCAN_SCHEMA = 'skiff.dev/scan/v1';

export interface ScanReport {
  readonly schema: typeof SCAN_SCHEMA;
  readonly app: string;
  readonly version: string;
  readonly releaseDigest: Digest;
  readonly sbomDigest: Digest;
  readonly database: { readonly digest: string; readonly records: number };
  readonly scannedAt: string;
  readonly findings: readonly Finding[];
}

const digest = z.string().refine(isDigest, 'not a sha256 digest') as unknown as z.ZodType<Digest>;
const severity = z.enum([...SEVERITIES, 'unknown']);

export const ScanReportSchema: z.ZodType<ScanReport> = z.object({
  schema: z.literal(SCAN_SCHEMA),
  app: z.string(),
  version: z.string(),
  releaseDigest: digest,
  sbomDigest: digest,
  database: z.object({ digest: z.string(), records: z.number().int().nonnegative() }),
  scannedAt: z.string(),
  findings: z.array(
    z.object({
      id: z.string(),
      aliases: z.array(z.string()),
      summary: z.string(),
      severity,
      package: z.object({ name: z.string(), version: z.string(), ecosystem: z.string(), purl: z.string() }),
      services: z.array(z.string()),
      fixed: z.string().optional(),
    }),
  ),
});

/** Findings per severity, for summaries. */
export function countBySeverity(findings: readonly Finding[]): Record<FindingSeverity, number> {
  const counts: Record<FindingSeverity, number> = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

const SARIF_LEVEL: Record<FindingSeverity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', unknown: 'warning' };
/** GitHub code scanning reads `security-severity` (a CVSS-like score) to rank results. */
const SECURITY_SEVERITY: Record<FindingSeverity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0', unknown: '5.0' };

/** The report as a SARIF 2.1.0 log: one rule per advisory, one result per affected package. */
export function toSarif(report: ScanReport, toolVersion: string): object {
  const rules = new Map<string, Finding>();
  for (const f of report.findings) if (!rules.has(f.id)) rules.set(f.id, f);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'skiff',
            version: toolVersion,
            informationUri: 'https://osv.dev',
            rules: [...rules.values()].map((f) => ({
              id: f.id,
              shortDescription: { text: f.summary || f.id },
              helpUri: `https://osv.dev/vulnerability/${encodeURIComponent(f.id)}`,
              properties: { 'security-severity': SECURITY_SEVERITY[f.severity], tags: ['security', 'vulnerability'] },
            })),
          },
        },
        results: report.findings.map((f) => ({
          ruleId: f.id,
          level: SARIF_LEVEL[f.severity],
          message: {
            text: `${f.package.name} ${f.package.version} (${f.package.ecosystem}) is affected by ${f.id}${f.aliases.length ? ` (${f.aliases.join(', ')})` : ''}, severity ${f.severity}; ${f.fixed ? `fixed in ${f.fixed}` : 'no fixed version known'}`,
          },
          locations: [{ logicalLocations: [{ name: f.package.purl, kind: 'package', fullyQualifiedName: `${report.app}@${report.version}/${f.services.join(',')}/${f.package.purl}` }] }],
          properties: { severity: f.severity, services: f.services, ...(f.fixed ? { fixedVersion: f.fixed } : {}) },
        })),
        properties: { app: report.app, version: report.version, releaseDigest: report.releaseDigest, sbomDigest: report.sbomDigest, database: report.database },
      },
    ],
  };
}
