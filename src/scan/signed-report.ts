// Signed scan reports: a detached DSSE signature over the report's exact bytes (the JSON report or SARIF, as written),
// by the vendor's release keys, carrying the app's root chain, so that a customer holding only the vendor's root.json
// can check that the report came from the vendor and was not altered (`skiff release verify-scan`).
import * as z from 'zod';
import { pae } from '../release/index.ts';
import { parseRoot, serializeRoot, verifyRootChain, verifyRootSelfSigned, verifyThreshold, type RootMeta, type TrustDir } from '../trust/index.ts';
import { errorMessage, SkiffError } from '../util/index.ts';
import { ScanReportSchema } from './report.ts';

export type ScanReportFormat = 'json' | 'sarif';

/** What is signed is the payload type too (DSSE's PAE), so a signed JSON report cannot pass as SARIF or the reverse. */
export const SCAN_PAYLOAD_TYPE: Readonly<Record<ScanReportFormat, string>> = {
  json: 'application/vnd.skiff.scan.v1+json',
  sarif: 'application/sarif+json',
};

const SignatureFile = z.object({
  payloadType: z.enum([SCAN_PAYLOAD_TYPE.json, SCAN_PAYLOAD_TYPE.sarif]),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })).min(1),
  /** root.1.json … root.N.json of the app, base64: a customer pinned at an older root walks to the signing one. */
  roots: z.array(z.string()).min(1),
});
export type ScanSignature = z.infer<typeof SignatureFile>;

/** The detached signature of `report` (its bytes exactly as written) with the trust dir's release keys. */
export function signScanReport(report: Uint8Array, format: ScanReportFormat, trust: TrustDir): ScanSignature {
  const payloadType = SCAN_PAYLOAD_TYPE[format];
  return {
    payloadType,
    signatures: [...trust.signRelease(pae(payloadType, report)).signatures],
    roots: trust.chain.map((r) => Buffer.from(serializeRoot(r)).toString('base64')),
  };
}

export interface VerifiedScanReport {
  readonly format: ScanReportFormat;
  readonly app: string;
  readonly version: string;
  readonly releaseDigest: string;
  readonly findings: number;
  readonly rootVersion: number;
  readonly keyids: readonly string[];
}

function parseSignature(bytes: Uint8Array, name: string): ScanSignature {
  try {
    return SignatureFile.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch (e) {
    throw new SkiffError('SIGNATURE_INVALID', `${name} is not a skiff scan report signature (${errorMessage(e).split('\n')[0]}); use the .sig file skiff release scan --sign wrote`, { cause: e });
  }
}

/** What the report says it is about: the JSON report's fields, or the SARIF run's properties skiff writes. */
function subjectOf(report: Uint8Array, format: ScanReportFormat, name: string): Pick<VerifiedScanReport, 'app' | 'version' | 'releaseDigest' | 'findings'> {
  try {
    const doc: unknown = JSON.parse(Buffer.from(report).toString('utf8'));
    if (format === 'json') {
      const r = ScanReportSchema.parse(doc);
      return { app: r.app, version: r.version, releaseDigest: r.releaseDigest, findings: r.findings.length };
    }
    const run = z.object({ runs: z.array(z.object({ results: z.array(z.unknown()), properties: z.object({ app: z.string(), version: z.string(), releaseDigest: z.string() }) })).length(1) }).parse(doc).runs[0]!;
    return { ...run.properties, findings: run.results.length };
  } catch (e) {
    throw new SkiffError('INVALID_INPUT', `${name} is signed but is not a skiff scan report in ${format === 'json' ? 'JSON' : 'SARIF'} (${errorMessage(e).split('\n')[0]})`, { cause: e });
  }
}

/**
 * Checks `report` against its detached signature: the carried root chain from `trusted` (the customer's pinned
 * root.json), then a threshold of that root's release keys over the exact bytes. Anything altered is SIGNATURE_INVALID.
 */
export function verifyScanReport(report: Uint8Array, signature: Uint8Array, trusted: RootMeta, names: { report: string; signature: string }, now = new Date()): VerifiedScanReport {
  verifyRootSelfSigned(trusted);
  const sig = parseSignature(signature, names.signature);
  const chain = sig.roots.map((b, i) => parseRoot(Buffer.from(b, 'base64'), `root.${i + 1}.json in ${names.signature}`));
  const root = verifyRootChain(chain, trusted, now);
  const bytes = pae(sig.payloadType, report);
  const valid = verifyThreshold(root.signed, 'release', bytes, sig.signatures);
  const need = root.signed.roles.release.threshold;
  if (valid < need)
    throw new SkiffError(
      'SIGNATURE_INVALID',
      `${names.report} has ${valid} valid signature(s) of the ${need} required from the vendor's release keys (root version ${root.signed.version}): it was altered after signing, or signed by someone else; do not trust it`,
    );
  const format: ScanReportFormat = sig.payloadType === SCAN_PAYLOAD_TYPE.json ? 'json' : 'sarif';
  return { format, ...subjectOf(report, format, names.report), rootVersion: root.signed.version, keyids: sig.signatures.map((s) => s.keyid) };
}
