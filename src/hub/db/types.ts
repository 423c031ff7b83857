// The hub's metadata seam: one async interface over SQLite and PostgreSQL, used by every route.
import type { SqlRollouts } from './sql-rollouts.ts';
import type { LogStore } from './sql-logs.ts';
import type { NotifyStore } from './types-notify.ts';
import type { CustomerUserStore } from './types-customer-users.ts';
import type { ChannelPolicy, ReleaseScanRecord, WaiverRecord } from './types-supply.ts';
import type { AirgapState, SupportBundleRecord } from './types-airgap.ts';
import type { ObservabilityStore } from './types-observe.ts';
import type { EnrollTokenRecord, FleetFilter, InstanceEvent, InstanceRecord, SitePolicy, SiteValueInput, SiteValueRecord, ValuesScope } from './types-fleet.ts';

export type * from './types-notify.ts';
export type * from './types-fleet.ts';
export type * from './types-supply.ts';
export type * from './types-airgap.ts';
export type * from './types-observe.ts';
export type * from './types-customer-users.ts';
export type Role = 'admin' | 'release-manager' | 'support' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'release-manager', 'support', 'viewer'];

export type TokenKind = 'session' | 'api' | 'customer' | 'instance';

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly createdAt: string;
}

export interface TokenRecord {
  readonly id: string;
  readonly kind: TokenKind;
  /** sha256 hex of the secret; the secret itself is never stored. */
  readonly hash: string;
  readonly name: string;
  readonly userId: string | null;
  readonly customerId: string | null;
  /** The instance an `instance` credential belongs to. */
  readonly instanceId: string | null;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

export interface AppRecord {
  readonly name: string;
  readonly createdAt: string;
}

export interface RootRecord {
  readonly app: string;
  readonly version: number;
  /** The root.json bytes exactly as uploaded. */
  readonly root: Uint8Array;
  readonly createdAt: string;
}

export interface ReleaseRecord {
  readonly app: string;
  readonly version: string;
  readonly digest: string;
  readonly manifest: Uint8Array;
  readonly signature: Uint8Array;
  readonly createdAt: string;
  readonly visible: boolean;
}

export interface ChannelEntry {
  readonly version: string;
  readonly required: boolean;
  readonly promotedAt: string;
}

export interface ChannelRecord {
  readonly app: string;
  readonly name: string;
  /** In semver order, lowest first. */
  readonly releases: readonly ChannelEntry[];
}

export interface Entitlement {
  readonly app: string;
  readonly channel: string;
  readonly expiresAt: string | null;
}

export interface CustomerRecord {
  readonly id: string;
  readonly name: string;
  readonly airgapped: boolean;
  readonly createdAt: string;
  readonly entitlements: readonly Entitlement[];
  /** The age X25519 recipient (age1…) the customer's bundles are encrypted to; null: plain bundles. */
  readonly recipient: string | null;
}

export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly address: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly address: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

/** What a login attempt is counted by. */
export interface LoginAttempt {
  readonly address: string;
  readonly username: string;
  readonly at: Date;
}

/** Attempts still counting (failed or in flight) within the window: everywhere, from this address, for this address and user. */
export interface LoginCounts {
  readonly total: number;
  readonly address: number;
  readonly user: number;
}

/** Every read; any caller may use these. */
export interface MetadataReads {
  /** User names compare case-insensitively. */
  getUserByName(username: string): Promise<UserRecord | undefined>;
  getUser(id: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  countUsers(): Promise<number>;

  getTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(filter: { userId?: string; customerId?: string }): Promise<TokenRecord[]>;

  getApp(name: string): Promise<AppRecord | undefined>;
  listApps(): Promise<AppRecord[]>;
  /** Every root of the app, version 1 first. */
  listRoots(app: string): Promise<RootRecord[]>;

  getRelease(app: string, version: string): Promise<ReleaseRecord | undefined>;
  /** All releases of the app (visible or not), semver order. */
  listReleases(app: string): Promise<ReleaseRecord[]>;

  listChannels(app: string): Promise<ChannelRecord[]>;
  getChannel(app: string, name: string): Promise<ChannelRecord | undefined>;

  getCustomer(id: string): Promise<CustomerRecord | undefined>;
  getCustomerByName(name: string): Promise<CustomerRecord | undefined>;
  listCustomers(): Promise<CustomerRecord[]>;
  /** Visible releases in the customer's unexpired entitled channels, per app in semver order. */
  releasesVisibleTo(customerId: string, now?: Date): Promise<ReleaseRecord[]>;
  isEntitled(customerId: string, app: string, version: string, now?: Date): Promise<boolean>;

  listInstances(customerId: string): Promise<InstanceRecord[]>;
  getInstance(id: string): Promise<InstanceRecord | undefined>;
  /** The fleet: instances across customers, filtered, by customer and name. */
  listFleet(filter: FleetFilter): Promise<InstanceRecord[]>;
  listInstanceEvents(instanceId: string, limit?: number): Promise<InstanceEvent[]>;
  getEnrollTokenByHash(hash: string): Promise<EnrollTokenRecord | undefined>;
  getSitePolicy(customerId: string, app: string): Promise<SitePolicy>;
  /** An app's online key for `role` (the timestamp key), encrypted at rest; undefined when none was given. */
  getAppKey(app: string, role: string): Promise<{ keyid: string; sealed: string } | undefined>;
  /** A customer's values of an app at every level; with instanceId, the customer's and that instance's only. */
  listSiteValues(customerId: string, app: string, instanceId?: string): Promise<SiteValueRecord[]>;

  getChannelPolicy(app: string, channel: string): Promise<ChannelPolicy | undefined>;
  getReleaseScan(app: string, version: string): Promise<ReleaseScanRecord | undefined>;
  listWaivers(app: string, version: string): Promise<WaiverRecord[]>;

  listAudit(opts?: { afterId?: number; limit?: number }): Promise<AuditEntry[]>;

  /** Webhooks, e-mail opt-ins, the delivery outbox and upgrade approvals. */
  readonly notify: NotifyStore;
  /** Customer users (the portal's accounts); writes only inside mutate. */
  readonly customerUsers: CustomerUserStore;
  getAirgapState(instanceId: string): Promise<AirgapState>;
  listSupportBundles(instanceId: string): Promise<SupportBundleRecord[]>;
}

/** Every write. They exist only on the transaction `MetadataDb.mutate` hands out, so none commits without its audit entry. */
export interface MetadataWrites {
  /** CONFLICT when a user of that name exists, in any letter case. */
  createUser(u: { username: string; passwordHash: string; role: Role }): Promise<UserRecord>;
  createToken(t: Omit<TokenRecord, 'id' | 'createdAt' | 'revokedAt' | 'instanceId'> & { instanceId?: string }): Promise<TokenRecord>;
  /** Returns false when no such unrevoked token exists. */
  revokeToken(id: string): Promise<boolean>;

  createApp(name: string, root: { version: number; bytes: Uint8Array }): Promise<AppRecord>;
  /** Adds root N+1; CONFLICT when that version already exists. */
  addRoot(app: string, version: number, bytes: Uint8Array): Promise<RootRecord>;

  /** Atomic: all of the release or nothing. Same digest again is a no-op; another digest is RELEASE_EXISTS. */
  putRelease(r: Omit<ReleaseRecord, 'createdAt' | 'visible'> & { visible?: boolean }): Promise<ReleaseRecord>;
  setReleaseVisible(app: string, version: string, visible: boolean): Promise<void>;

  /** Creates the channel when needed. NOT_FOUND when the release is missing or not visible. */
  promote(app: string, channel: string, version: string, required: boolean): Promise<void>;
  /** Returns false when the release was not in the channel. */
  demote(app: string, channel: string, version: string): Promise<boolean>;
  setRequired(app: string, channel: string, version: string, required: boolean): Promise<boolean>;

  createCustomer(c: { name: string; airgapped: boolean; entitlements: readonly Entitlement[] }): Promise<CustomerRecord>;
  setEntitlements(customerId: string, entitlements: readonly Entitlement[]): Promise<void>;

  createInstance(i: { customerId: string; app: string; name: string; publicKey?: string; facts?: Record<string, string> }): Promise<InstanceRecord>;
  /** Revokes the instance and its credentials; false when there is no such unrevoked instance. */
  revokeInstance(id: string): Promise<boolean>;
  /** Replaces the instance's tags; false when there is no such instance. */
  setInstanceTags(id: string, tags: Readonly<Record<string, string>>): Promise<boolean>;
  setInstancePolicy(id: string, p: { pinnedVersion?: string | null; windows?: readonly unknown[]; installNow?: boolean }): Promise<boolean>;
  setSitePolicy(customerId: string, app: string, p: Partial<SitePolicy>): Promise<boolean>;
  createEnrollToken(t: { hash: string; customerId: string; app: string; uses: number; expiresAt: string }): Promise<EnrollTokenRecord>;
  /** Takes one use of an unexpired enrollment token; undefined when it is unknown, used up or expired. */
  consumeEnrollToken(hash: string, now: Date): Promise<EnrollTokenRecord | undefined>;
  putAppKey(app: string, role: string, keyid: string, sealed: string): Promise<void>;
  /** Sets (adds or replaces) values at one level. */
  setSiteValues(scope: ValuesScope, values: readonly SiteValueInput[]): Promise<void>;
  /** Removes values at one level; returns how many existed. */
  unsetSiteValues(scope: ValuesScope, names: readonly string[]): Promise<number>;
  /** Sets (replaces) a channel's gate. */
  setChannelPolicy(p: Omit<ChannelPolicy, 'updatedAt'>): Promise<void>;
  /** Stores a release's scan report, replacing an older one. */
  putReleaseScan(s: Omit<ReleaseScanRecord, 'uploadedAt'>): Promise<void>;
  /** Adds a waiver, replacing one for the same finding. */
  putWaiver(w: Omit<WaiverRecord, 'createdAt'>): Promise<void>;
  /** Records an imported report; false when another import took that sequence number first. */
  recordReportImport(instanceId: string, r: { seq: number; digest: string; createdAt: string }): Promise<boolean>;
  /** Asks the instance for a support bundle (a time), or clears the request (null). */
  setSupportRequest(instanceId: string, at: string | null): Promise<void>;
  addSupportBundle(b: Omit<SupportBundleRecord, 'id' | 'createdAt'>): Promise<SupportBundleRecord>;
  /** Sets or (null) clears the customer's bundle recipient; false when there is no such customer. */
  setCustomerRecipient(customerId: string, recipient: string | null): Promise<boolean>;
}

/** What a mutation runs on: reads and writes in the one open transaction. */
export interface MetadataTx extends MetadataReads, MetadataWrites {}

/** A mutation's audit entry: fixed, or made from what the mutation returned (e.g. the id it created). */
export type AuditOf<R> = AuditInput | ((result: R) => AuditInput);

export interface MetadataDb extends MetadataReads {
  /** The agents' log lines (not audited: an agent's own output, not a change of the metadata). */
  readonly logs: LogStore;
  /** Applies pending numbered migrations; safe to call on every start and from several replicas. */
  migrate(): Promise<number[]>;
  close(): Promise<void>;

  /**
   * The one way to change the metadata: runs fn and appends its hash-chained audit entry in ONE transaction, so both
   * commit or neither does. Mutations are serialized (the audit lock) across connections and replicas. Inside fn, use
   * `tx` (calls on this db made from within fn join the same transaction too). A mutate within fn nests as a savepoint.
   */
  mutate<R>(fn: (tx: MetadataTx) => Promise<R>, audit: AuditOf<R>): Promise<R>;
  /** An audit entry that changes nothing else (e.g. a blob stored outside the database). */
  appendAudit(e: AuditInput): Promise<AuditEntry>;
  /**
   * Records what an instance reports it runs (and its health) as of now; false when no such instance exists. An
   * instance's own observation, kept in its record and history, not an operator's change: it has no audit entry.
   */
  reportInstance(id: string, report: { currentVersion: string | null; health: string | null; report?: Record<string, unknown> }): Promise<boolean>;
  /** Appends to an instance's history (also without an audit entry: the instance's own account). */
  addInstanceEvent(instanceId: string, e: InstanceEvent): Promise<void>;
  /**
   * The hub's generation: a counter that every mutate, and every report of a new current version, moves on in its own
   * transaction. Caches of anything read from this database hold while it is unchanged (replicas included).
   */
  generation(): Promise<number>;
  /** Rollouts, their groups and instances, and the scheduler's lease; writes only inside mutate. */
  readonly rollouts: SqlRollouts;
  /** Records why the instance's next release is held back (null: nothing is); the hub's finding, without an audit entry. */
  setInstanceBlocked(instanceId: string, reason: string | null): Promise<boolean>;

  /**
   * Login throttling, shared by every replica (bookkeeping, not audited). Atomically counts the attempts of the
   * window and, when `admit(counts)` says so, records this one before any password is hashed. Returns the attempt's id
   * when admitted.
   */
  admitLoginAttempt(a: LoginAttempt, windowMs: number, admit: (recent: LoginCounts) => boolean): Promise<{ id?: string; recent: LoginCounts }>;
  /** A successful login does not count against anyone's budget. */
  forgetLoginAttempt(id: string): Promise<void>;
  /** What the hub observes of its fleet (metrics, alerts, delivery reports); hub findings, without audit entries. */
  readonly observe: ObservabilityStore;
}
