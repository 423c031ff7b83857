// The promotion gate at the hub: loads a channel's policy, the release's uploaded scan report (only one signed by the
// app's release role and naming this release's digest counts: scan-verify.ts), its SBOM from the blob store and its
// waivers, and refuses with POLICY_REFUSED.
import { releaseSbom, type StoredRelease } from '../release/index.ts';
import { sbomPackages } from '../sbom/index.ts';
import { gateDecision, gateMessage, isSeverityLevel, type GatePolicy, type ScanReport } from '../scan/index.ts';
import type { BlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';
import type { MetadataReads } from './db/types.ts';
import { storedReleaseOf } from './release-verify.ts';
import { verifiedScanReport } from './scan-verify.ts';

/** The release's scan report if it counts; else why the one uploaded does not (none uploaded: neither). */
async function countedScan(db: MetadataReads, release: StoredRelease, now: Date): Promise<{ report: ScanReport | undefined; uncounted?: string }> {
  const scan = await db.getReleaseScan(release.manifest.app, release.manifest.version);
  if (!scan || scan.releaseDigest !== release.digest) return { report: undefined };
  if (scan.signature === null) return { report: undefined, uncounted: 'its scan report was uploaded unsigned' };
  try {
    return { report: (await verifiedScanReport(db, release, scan.report, scan.signature, now)).report };
  } catch (e) {
    if (e instanceof SkiffError) return { report: undefined, uncounted: `its scan report does not verify (${e.message})` };
    throw e;
  }
}

/** Throws POLICY_REFUSED when channel `channel` of `app` may not take `version`; a missing release is left to promote. */
export async function checkPromotionGate(db: MetadataReads, blobs: BlobStore, app: string, channel: string, version: string, now = new Date()): Promise<void> {
  const stored = await db.getChannelPolicy(app, channel);
  const policy: GatePolicy = { failOn: stored?.failOn && isSeverityLevel(stored.failOn) ? stored.failOn : null, refusedLicenses: stored?.refusedLicenses ?? [] };
  if (!policy.failOn && policy.refusedLicenses.length === 0) return;
  const rec = await db.getRelease(app, version);
  if (!rec?.visible) return;
  const release = storedReleaseOf(rec);
  const scan = policy.failOn ? await countedScan(db, release, now) : { report: undefined };
  const packages = policy.refusedLicenses.length > 0 && release.manifest.sbom.length > 0 ? sbomPackages(await releaseSbom(blobs, release), `the SBOM of ${app}@${version}`) : undefined;
  const { blocks } = gateDecision({ policy, ...scan, packages, waivers: await db.listWaivers(app, version), now });
  if (blocks.length > 0) throw new SkiffError('POLICY_REFUSED', gateMessage(app, version, channel, policy, blocks));
}
