// Severity of an OSV record: the database's own word (GHSA's database_specific.severity, ecosystem_specific), or the
// CVSS v3 base score computed from the vector. Levels are ordered; `unknown` ranks as high for gates (not known low).
import type { OsvAffected, OsvRecord } from './osv-db.ts';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type SeverityLevel = (typeof SEVERITIES)[number];
export type FindingSeverity = SeverityLevel | 'unknown';

/** The rank a gate compares: a finding of unknown severity counts as high. */
export const severityRank = (s: FindingSeverity): number => (s === 'unknown' ? 2 : SEVERITIES.indexOf(s));

export function isSeverityLevel(s: string): s is SeverityLevel {
  return (SEVERITIES as readonly string[]).includes(s);
}

function fromWord(v: unknown): SeverityLevel | undefined {
  if (typeof v !== 'string') return undefined;
  const w = v.trim().toLowerCase();
  if (w === 'moderate' || w === 'medium') return 'medium';
  if (w === 'important') return 'high';
  return isSeverityLevel(w) ? w : undefined;
}

const W = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

const roundUp = (x: number): number => {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
};

/** CVSS v3.x base score of a vector (CVSS:3.1/AV:N/AC:L/…), or undefined when it is not one. */
export function cvss3BaseScore(vector: string): number | undefined {
  if (!/^CVSS:3\.[01]\//.test(vector)) return undefined;
  const m = new Map(vector.split('/').slice(1).map((p) => p.split(':') as [string, string]));
  const get = <T extends Record<string, number>>(table: T, k: string): number | undefined => table[m.get(k) as keyof T];
  const scope = m.get('S');
  const av = get(W.AV, 'AV');
  const ac = get(W.AC, 'AC');
  const ui = get(W.UI, 'UI');
  const pr = m.get('PR') === 'N' ? 0.85 : m.get('PR') === 'L' ? (scope === 'C' ? 0.68 : 0.62) : m.get('PR') === 'H' ? (scope === 'C' ? 0.5 : 0.27) : undefined;
  const [c, i, a] = ['C', 'I', 'A'].map((k) => get(W.CIA, k));
  if (av === undefined || ac === undefined || ui === undefined || pr === undefined || c === undefined || i === undefined || a === undefined || (scope !== 'U' && scope !== 'C')) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === 'U' ? roundUp(Math.min(impact + exploitability, 10)) : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

const fromScore = (score: number): SeverityLevel | undefined =>
  score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : score > 0 ? 'low' : undefined;

function fromSeverityList(list: OsvRecord['severity']): SeverityLevel | undefined {
  for (const s of list ?? []) {
    const score = /^\d+(\.\d+)?$/.test(s.score) ? Number(s.score) : cvss3BaseScore(s.score);
    const level = score === undefined ? fromWord(s.score) : fromScore(score);
    if (level) return level;
  }
  return undefined;
}

/** The severity of `record` for the package entry `affected`: the most specific statement wins. */
export function severityOf(record: OsvRecord, affected: OsvAffected): FindingSeverity {
  return (
    fromWord(affected.ecosystem_specific?.severity) ??
    fromWord(affected.database_specific?.severity) ??
    fromSeverityList(affected.severity) ??
    fromWord(record.database_specific?.severity) ??
    fromSeverityList(record.severity) ??
    'unknown'
  );
}
