// The gate as a pure decision: severity thresholds (unknown counts as high), waivers and their expiry, license
// expressions (OR refused only when every alternative is, AND when any part is), and the missing scan or SBOM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gateDecision, type Finding, type ScanReport } from '../../src/scan/index.ts';
import type { SbomPackage } from '../../src/sbom/index.ts';

const f = (id: string, severity: Finding['severity']): Finding => ({
  id,
  aliases: [],
  summary: '',
  severity,
  package: { name: `p-${id}`, version: '1', ecosystem: 'npm', purl: `pkg:npm/p-${id}@1` },
  services: ['web'],
});
const report = (findings: Finding[]): ScanReport => ({
  schema: 'skiff.dev/scan/v1',
  app: 'a',
  version: '1.0.0',
  releaseDigest: `sha256:${'a'.repeat(64)}`,
  sbomDigest: `sha256:${'b'.repeat(64)}`,
  database: { digest: 'x', records: 1 },
  scannedAt: '2026-01-01T00:00:00Z',
  findings,
});
const pkg = (name: string, licenses: string[]): SbomPackage => ({ name, version: '1', purl: `pkg:npm/${name}@1`, ecosystem: 'npm', licenses, services: ['web'] });
const now = new Date('2026-06-01T00:00:00Z');
const ids = (r: ReturnType<typeof gateDecision>) => r.blocks.map((b) => ('finding' in b ? b.finding : b.kind));

test('findings at or above the threshold block; unknown severity counts as high; below passes', () => {
  const r = report([f('C', 'critical'), f('H', 'high'), f('U', 'unknown'), f('M', 'medium'), f('L', 'low')]);
  const policy = { failOn: 'high' as const, refusedLicenses: [] };
  assert.deepEqual(ids(gateDecision({ policy, report: r, packages: [], waivers: [], now })), ['C', 'H', 'U']);
  assert.deepEqual(ids(gateDecision({ policy: { ...policy, failOn: 'critical' }, report: r, packages: [], waivers: [], now })), ['C']);
  assert.deepEqual(ids(gateDecision({ policy, report: undefined, packages: [], waivers: [], now })), ['no-scan']);
  assert.deepEqual(ids(gateDecision({ policy: { failOn: null, refusedLicenses: [] }, report: undefined, packages: undefined, waivers: [], now })), []);
});

test('an unexpired waiver lets a finding pass; an expired one does not', () => {
  const r = report([f('C', 'critical'), f('H', 'high')]);
  const policy = { failOn: 'high' as const, refusedLicenses: [] };
  const waivers = [
    { finding: 'C', expiresAt: '2026-07-01T00:00:00Z' },
    { finding: 'H', expiresAt: '2026-05-31T23:59:59Z' },
  ];
  const d = gateDecision({ policy, report: r, packages: [], waivers, now });
  assert.deepEqual(ids(d), ['H']);
  assert.deepEqual(d.waived, ['C']);
});

test('licenses: names compare case-insensitively; OR needs every alternative refused, AND any part', () => {
  const packages = [pkg('gpl', ['GPL-3.0-only']), pkg('dual', ['MIT OR GPL-3.0-only']), pkg('both', ['(MIT AND GPL-3.0-only)']), pkg('mit', ['MIT']), pkg('none', [])];
  const policy = { failOn: null, refusedLicenses: ['gpl-3.0-only'] };
  assert.deepEqual(ids(gateDecision({ policy, report: undefined, packages, waivers: [], now })), ['license:GPL-3.0-only', 'license:(MIT AND GPL-3.0-only)']);
  assert.deepEqual(ids(gateDecision({ policy, report: undefined, packages: undefined, waivers: [], now })), ['no-sbom']);
  const waived = gateDecision({ policy, report: undefined, packages, waivers: [{ finding: 'license:GPL-3.0-only', expiresAt: '2027-01-01' }], now });
  assert.deepEqual(ids(waived), ['license:(MIT AND GPL-3.0-only)']);
});
