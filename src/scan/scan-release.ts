// Scans a release in a store: its signed SBOM against an OSV database, as a report tied to the release's digest.
import { releaseSbom, sbomArtifact, type StoredRelease } from '../release/index.ts';
import { sbomPackages } from '../sbom/index.ts';
import type { BlobStore } from '../store/index.ts';
import type { OsvDatabase } from './osv-db.ts';
import { SCAN_SCHEMA, type ScanReport } from './report.ts';
import { scanPackages } from './scan.ts';

export async function scanRelease(store: BlobStore, release: StoredRelease, db: OsvDatabase, now = new Date()): Promise<ScanReport> {
  const m = release.manifest;
  const bytes = await releaseSbom(store, release);
  const sbomDigest = sbomArtifact(release)!.digest; // releaseSbom found it
  return {
    schema: SCAN_SCHEMA,
    app: m.app,
    version: m.version,
    releaseDigest: release.digest,
    sbomDigest,
    database: { digest: db.digest, records: db.records },
    scannedAt: now.toISOString(),
    findings: scanPackages(sbomPackages(bytes, `the SBOM of ${m.app}@${m.version}`), db),
  };
}
