// Promotion gates in portable SQL: a channel's policy (the severity at which scan findings refuse a release, the
// licenses it refuses), the scan report a vendor uploaded per release, and waivers (a reason and an expiry each).
import type { SqlExec } from './driver.ts';
import type * as T from './types.ts';

export const GATES_MIGRATION = {
  version: 13,
  name: 'promotion gates',
  statements: (): string[] => [
    `CREATE TABLE channel_policies (app TEXT NOT NULL REFERENCES apps(name), channel TEXT NOT NULL, fail_on TEXT,
      refused_licenses TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (app, channel))`,
    `CREATE TABLE release_scans (app TEXT NOT NULL, version TEXT NOT NULL, release_digest TEXT NOT NULL,
      report_digest TEXT NOT NULL, report TEXT NOT NULL, uploaded_at TEXT NOT NULL, PRIMARY KEY (app, version),
      FOREIGN KEY (app, version) REFERENCES releases(app, version))`,
    `CREATE TABLE release_waivers (app TEXT NOT NULL, version TEXT NOT NULL, finding TEXT NOT NULL, reason TEXT NOT NULL,
      expires_at TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (app, version, finding),
      FOREIGN KEY (app, version) REFERENCES releases(app, version))`,
  ],
};

interface PolicyRow {
  app: string;
  channel: string;
  fail_on: string | null;
  refused_licenses: string;
  updated_at: string;
}

export async function getChannelPolicy(sql: SqlExec, app: string, channel: string): Promise<T.ChannelPolicy | undefined> {
  const [r] = await sql.all<PolicyRow>('SELECT * FROM channel_policies WHERE app = ? AND channel = ?', [app, channel]);
  return r && { app: r.app, channel: r.channel, failOn: r.fail_on, refusedLicenses: JSON.parse(r.refused_licenses) as string[], updatedAt: r.updated_at };
}

export async function setChannelPolicy(sql: SqlExec, p: Omit<T.ChannelPolicy, 'updatedAt'>, at: string): Promise<void> {
  await sql.run('DELETE FROM channel_policies WHERE app = ? AND channel = ?', [p.app, p.channel]);
  await sql.run('INSERT INTO channel_policies (app, channel, fail_on, refused_licenses, updated_at) VALUES (?, ?, ?, ?, ?)', [
    p.app,
    p.channel,
    p.failOn,
    JSON.stringify(p.refusedLicenses),
    at,
  ]);
}

interface ScanRow {
  app: string;
  version: string;
  release_digest: string;
  report_digest: string;
  report: string;
  signature: string | null;
  uploaded_at: string;
}

export async function getReleaseScan(sql: SqlExec, app: string, version: string): Promise<T.ReleaseScanRecord | undefined> {
  const [r] = await sql.all<ScanRow>('SELECT * FROM release_scans WHERE app = ? AND version = ?', [app, version]);
  return r && { app: r.app, version: r.version, releaseDigest: r.release_digest, reportDigest: r.report_digest, report: r.report, signature: r.signature, uploadedAt: r.uploaded_at };
}

/** The newest report replaces the one before (a rescan with a fresher database). */
export async function putReleaseScan(sql: SqlExec, s: Omit<T.ReleaseScanRecord, 'uploadedAt'>, at: string): Promise<void> {
  await sql.run('DELETE FROM release_scans WHERE app = ? AND version = ?', [s.app, s.version]);
  await sql.run('INSERT INTO release_scans (app, version, release_digest, report_digest, report, signature, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    s.app,
    s.version,
    s.releaseDigest,
    s.reportDigest,
    s.report,
    s.signature,
    at,
  ]);
}

interface WaiverRow {
  app: string;
  version: string;
  finding: string;
  reason: string;
  expires_at: string;
  created_by: string;
  created_at: string;
}

export async function listWaivers(sql: SqlExec, app: string, version: string): Promise<T.WaiverRecord[]> {
  const list = await sql.all<WaiverRow>('SELECT * FROM release_waivers WHERE app = ? AND version = ? ORDER BY finding', [app, version]);
  return list.map((r) => ({ app: r.app, version: r.version, finding: r.finding, reason: r.reason, expiresAt: r.expires_at, createdBy: r.created_by, createdAt: r.created_at }));
}

/** A waiver for the same finding replaces the one before (a new reason or expiry). */
export async function putWaiver(sql: SqlExec, w: Omit<T.WaiverRecord, 'createdAt'>, at: string): Promise<void> {
  await sql.run('DELETE FROM release_waivers WHERE app = ? AND version = ? AND finding = ?', [w.app, w.version, w.finding]);
  await sql.run('INSERT INTO release_waivers (app, version, finding, reason, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    w.app,
    w.version,
    w.finding,
    w.reason,
    w.expiresAt,
    w.createdBy,
    at,
  ]);
}
