// Offline vulnerability scans of a release's SBOM against an OSV database file, with the version orderings they need.
export { loadOsvDatabase, OsvRecordSchema, type OsvDatabase, type OsvRecord } from './osv-db.ts';
export { scanPackages, type Finding } from './scan.ts';
export { SEVERITIES, isSeverityLevel, severityRank, severityOf, cvss3BaseScore, type FindingSeverity, type SeverityLevel } from './severity.ts';
export { compareDebian, comparePep440, compareGeneric, comparatorFor } from './versions.ts';
export { SCAN_SCHEMA, ScanReportSchema, countBySeverity, toSarif, type ScanReport } from './report.ts';
export { scanRelease } from './scan-release.ts';
export { gateDecision, gateMessage, licenseFinding, type GateBlock, type GateInput, type GatePolicy } from './gate.ts';
export { signScanReport, verifyScanReport, SCAN_PAYLOAD_TYPE, type ScanReportFormat, type ScanSignature, type VerifiedScanReport } from './signed-report.ts';
