// Which scan reports a promotion gate counts: only one signed (`skiff release scan --json --sign`) by the app's release
// role and naming the release as the hub holds it.
//
// The role is `release`: a scan report is the vendor's statement about a release, so it is signed by whoever may sign
// the release itself (the CI's release keys), to the release role's threshold of the app's newest root as the hub
// holds it (a rotation that drops a key makes its reports stop counting). Not `timestamp`: that key lives online at
// the hub, and a report the hub could sign itself would prove nothing; not `root`: it stays offline. The signature
// is checked at upload (a 400 naming what is wrong) and again by every gate decision, against the roots of that moment.
import { ScanReportSchema, verifyScanReport, type ScanReport } from '../scan/index.ts';
import type { StoredRelease } from '../release/index.ts';
import { errorMessage, SkiffError } from '../util/index.ts';
import type { MetadataReads } from './db/types.ts';
import { trustedRoots } from './release-verify.ts';

/** How to make and upload a report the gate counts, for error messages. */
export const signedScanHint = (ref: string): string =>
  `scan it with skiff release scan ${ref} --db osv.zip --json --sign --trust DIR -o scan.json and upload it with its signature (skiff release push ${ref} --scan scan.json sends scan.json.sig too)`;

/**
 * The report and the keys that signed it, once its detached signature verifies against the app's release role and it names `release` (app,
 * version, digest, SBOM). SIGNATURE_INVALID / TRUST_* for a bad signature, INVALID_INPUT for a report of something else.
 */
export async function verifiedScanReport(db: MetadataReads, release: StoredRelease, report: string, signature: string, now = new Date()): Promise<{ report: ScanReport; keyids: readonly string[] }> {
  const { app, version } = release.manifest;
  const ref = `${app}@${version}`;
  const { latest } = await trustedRoots(db, app);
  const v = verifyScanReport(Buffer.from(report), Buffer.from(signature), latest, { report: `the scan report of ${ref}`, signature: `its signature` }, now);
  if (v.format !== 'json') throw new SkiffError('INVALID_INPUT', `the signed scan report of ${ref} is SARIF: gates read the JSON report; ${signedScanHint(ref)}`);
  let parsed: ScanReport;
  try {
    parsed = ScanReportSchema.parse(JSON.parse(report));
  } catch (e) {
    throw new SkiffError('INVALID_INPUT', `the scan report of ${ref} is not a skiff scan report (${errorMessage(e).split('\n')[0]}); ${signedScanHint(ref)}`, { cause: e });
  }
  if (parsed.app !== app || parsed.version !== version) throw new SkiffError('INVALID_INPUT', `the report is of ${parsed.app}@${parsed.version}, not ${ref}: upload it to its own release`);
  if (parsed.releaseDigest !== release.digest)
    throw new SkiffError('INVALID_INPUT', `the report scanned release ${parsed.releaseDigest}, the hub's ${ref} is ${release.digest}: scan the release as pushed and upload again`);
  if (!release.manifest.sbom.some((a) => a.digest === parsed.sbomDigest)) throw new SkiffError('INVALID_INPUT', `the report scanned SBOM ${parsed.sbomDigest}, which ${ref} does not carry: scan the release as pushed`);
  return { report: parsed, keyids: v.keyids };
}
