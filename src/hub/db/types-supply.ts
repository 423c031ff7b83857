// The metadata seam's supply-chain part: channel promotion gates, uploaded scan reports and waivers.

/** A channel's promotion gate; a channel without one (or with neither rule set) admits any visible release. */
export interface ChannelPolicy {
  readonly app: string;
  readonly channel: string;
  /** Scan findings at or above this severity (low, medium, high, critical) refuse a release; null: no scan needed. */
  readonly failOn: string | null;
  /** Licenses (names or SPDX ids) a release's SBOM may not carry. */
  readonly refusedLicenses: readonly string[];
  readonly updatedAt: string;
}

/** The scan report a vendor uploaded for a release: its JSON, its sha256, and the release digest it names. */
export interface ReleaseScanRecord {
  readonly app: string;
  readonly version: string;
  readonly releaseDigest: string;
  readonly reportDigest: string;
  /** The report's bytes exactly as signed. */
  readonly report: string;
  /** Its detached signature (`skiff release scan --sign`); null for a report uploaded before signatures were required. */
  readonly signature: string | null;
  readonly uploadedAt: string;
}

/** A finding (an advisory id, or `license:<name>`) a release may pass a gate with, until it expires. */
export interface WaiverRecord {
  readonly app: string;
  readonly version: string;
  readonly finding: string;
  readonly reason: string;
  readonly expiresAt: string;
  /** The actor who waived it (as in the audit log). */
  readonly createdBy: string;
  readonly createdAt: string;
}
