// The detached signature of each uploaded scan report (`skiff release scan --sign`): gates count only signed reports.
// Reports uploaded before keep a null signature, and a gate that needs a scan refuses them until a signed one comes.

export const SCAN_SIGNATURES_MIGRATION = {
  version: 23,
  name: 'scan report signatures',
  statements: (): string[] => [`ALTER TABLE release_scans ADD COLUMN signature TEXT`],
};
