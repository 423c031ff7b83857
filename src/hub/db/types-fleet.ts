// The metadata seam's fleet part: instances, their settings, enrollment tokens, history and site policies.

export interface InstanceRecord {
  readonly id: string;
  readonly customerId: string;
  readonly app: string;
  readonly name: string;
  readonly currentVersion: string | null;
  readonly desiredVersion: string | null;
  readonly health: string | null;
  readonly lastSeenAt: string | null;
  readonly createdAt: string;
  /** The instance's own ed25519 public key (SPKI DER, base64), recorded at enrollment. */
  readonly publicKey: string | null;
  /** Host facts the agent gave at enrollment (host name, OS, architecture, engine version …). */
  readonly facts: Readonly<Record<string, string>>;
  readonly revokedAt: string | null;
  /** The next desired state says "install now" (outside the maintenance windows) until the instance runs its target. */
  readonly installNow: boolean;
  /** A version this instance stays on (over the customer's pin and the channel's newest). */
  readonly pinnedVersion: string | null;
  /** Maintenance windows of this instance (MaintenanceWindow[]); empty: the customer's apply. */
  readonly windows: readonly unknown[];
  /** The last status report, as sent. */
  readonly report: Readonly<Record<string, unknown>> | null;
  /** Why the release this instance would get is held back (its values do not satisfy it); null when nothing is. */
  readonly blockedReason: string | null;
  /** Vendor-set tags (key → value), which rollouts target. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Whose values: a customer's for an app, or (with instanceId) one instance's overrides. */
export interface ValuesScope {
  readonly customerId: string;
  readonly app: string;
  readonly instanceId: string | null;
}

export interface SiteValueInput {
  readonly name: string;
  /** The value; for a secret, the sealed value (never the clear text). */
  readonly value: string;
  readonly secret: boolean;
}

/** One stored setting of a site. */
export interface SiteValueRecord extends ValuesScope, SiteValueInput {
  readonly updatedAt: string;
}

/** An enrollment token: a customer's instances of one app may enroll with it, a number of times, until it expires. */
export interface EnrollTokenRecord {
  readonly id: string;
  readonly customerId: string;
  readonly app: string;
  readonly usesLeft: number;
  readonly expiresAt: string;
  readonly createdAt: string;
}

/** One entry of an instance's history: a status change, an upgrade, a failure and its reason. */
export interface InstanceEvent {
  readonly at: string;
  readonly kind: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface FleetFilter {
  readonly app?: string;
  readonly version?: string;
  readonly health?: string;
  readonly customerId?: string;
  /** Only instances last seen before this time (or never). */
  readonly seenBefore?: string;
  /** Only instances with every one of these tags. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Only instances whose id, name, customer, version or tags hold every word of this text (case-insensitive). */
  readonly search?: string;
  readonly limit?: number;
  /** Skips this many (in the list's order: customer, then name). */
  readonly offset?: number;
}

/** Per customer and app: a pinned version and maintenance windows, over the channel's newest release. */
export interface SitePolicy {
  readonly pinnedVersion: string | null;
  readonly windows: readonly unknown[];
}
