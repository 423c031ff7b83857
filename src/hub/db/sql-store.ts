// The MetadataDb written once in portable SQL over the SqlDriver seam; sqlite.ts and postgres.ts only supply drivers.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { SkiffError } from '../../util/index.ts';
import { LOCKS, type SqlDriver, type SqlExec } from './driver.ts';
import { admitLoginAttempt, appendAuditEntry } from './sql-audit.ts';
import { MIGRATIONS } from './migrations.ts';
import { setCustomerRecipient } from './sql-recipients.ts';
import * as fleet from './sql-fleet.ts';
import * as tags from './sql-tags.ts';
import { bumpGeneration, bumpGenerationIfVersionChanges, readGeneration } from './sql-generation.ts';
import * as rows from './sql-rows.ts';
import * as siteValues from './sql-values.ts';
import * as gates from './sql-gates.ts';
import { SqlRollouts } from './sql-rollouts.ts';
import { SqlNotifyStore } from './sql-notify.ts';
import { observeStore } from './sql-observe.ts';
import * as airgap from './sql-airgap.ts';
import * as accounts from './sql-accounts.ts';
import * as catalog from './sql-catalog.ts';
import type * as T from './types.ts';
import { SqlLogStore } from './sql-logs.ts';
import { SqlCustomerUsers } from './sql-customer-users.ts';

const now = (): string => new Date().toISOString();

export class SqlMetadataDb implements T.MetadataDb, T.MetadataTx {
  readonly #driver: SqlDriver;
  /** The transaction the current async call chain runs in: every call made from within `mutate` joins it. */
  readonly #tx = new AsyncLocalStorage<SqlExec>();
  /**
   * Mutations under way. On Node 20 an enabled AsyncLocalStorage makes every async resource (each socket write, timer,
   * promise) pay its hooks, the hot check-in path included; so it is disabled whenever no mutation runs, and run()
   * enables it again for the next one.
   */
  #mutating = 0;
  readonly rollouts = new SqlRollouts(() => this.#sql, () => this.#write);

  readonly notify: T.NotifyStore = new SqlNotifyStore(() => this.#sql, () => this.#write);

  readonly customerUsers: T.CustomerUserStore = new SqlCustomerUsers(() => this.#sql, () => this.#write, (e) => this.#driver.isUniqueViolation(e));

  readonly logs: SqlLogStore;
  readonly observe: T.ObservabilityStore = observeStore(() => this.#tx.getStore() ?? this.#driver);

  /** What the catalog queries run on; functions, so a write outside a mutation still throws. */
  readonly #ctx: catalog.Ctx = { sql: () => this.#sql, write: () => this.#write, unique: (fn, what) => this.#unique(fn, what) };

  constructor(driver: SqlDriver) {
    this.#driver = driver;
    this.logs = new SqlLogStore(driver);
  }

  get #sql(): SqlExec {
    return this.#tx.getStore() ?? this.#driver;
  }

  /** Writes run only inside mutate(), which appends their audit entry in the same transaction. */
  get #write(): SqlExec {
    const tx = this.#tx.getStore();
    if (!tx) throw new SkiffError('INTERNAL', 'a metadata write was attempted outside mutate(); every write needs its audit entry');
    return tx;
  }

  /** Runs fn in a savepoint so that a caught CONFLICT leaves the transaction usable (PostgreSQL aborts it otherwise). */
  async #unique<R>(fn: (tx: SqlExec) => Promise<R>, what: string): Promise<R> {
    try {
      return await this.#write.transaction(fn);
    } catch (e) {
      if (this.#driver.isUniqueViolation(e)) throw new SkiffError('CONFLICT', `${what} already exists`, { cause: e });
      throw e;
    }
  }

  migrate(): Promise<number[]> {
    return this.#driver.transaction(async (tx) => {
      await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const done = new Set((await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const statement of m.statements(tx.dialect)) await tx.run(statement);
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, now()]);
        applied.push(m.version);
      }
      return applied;
    }, LOCKS.migrate);
  }

  close(): Promise<void> {
    return this.#driver.close();
  }

  async mutate<R>(fn: (tx: T.MetadataTx) => Promise<R>, audit: T.AuditOf<R>): Promise<R> {
    this.#mutating++;
    try {
      return await this.#sql.transaction(
        (tx) =>
          this.#tx.run(tx, async () => {
            // First, so that every writer takes the generation's row before any other (no lock-order deadlock with reports).
            await bumpGeneration(tx);
            const result = await fn(this);
            await appendAuditEntry(tx, typeof audit === 'function' ? audit(result) : audit, now());
            return result;
          }),
        LOCKS.audit,
      );
    } finally {
      if (--this.#mutating === 0) this.#tx.disable();
    }
  }

  appendAudit(e: T.AuditInput): Promise<T.AuditEntry> {
    return this.#sql.transaction((tx) => appendAuditEntry(tx, e, now()), LOCKS.audit);
  }

  admitLoginAttempt(a: T.LoginAttempt, windowMs: number, admit: (recent: T.LoginCounts) => boolean): Promise<{ id?: string; recent: T.LoginCounts }> {
    return this.#sql.transaction((tx) => admitLoginAttempt(tx, a, windowMs, admit), LOCKS.login);
  }

  async forgetLoginAttempt(id: string): Promise<void> {
    await this.#sql.run('DELETE FROM login_attempts WHERE id = ?', [id]);
  }

  createUser(u: { username: string; passwordHash: string; role: T.Role }): Promise<T.UserRecord> {
    return accounts.createUser((fn, what) => this.#unique(fn, what), u);
  }
  getUserByName(username: string): Promise<T.UserRecord | undefined> {
    return accounts.getUserByName(this.#sql, username);
  }
  getUser(id: string): Promise<T.UserRecord | undefined> {
    return accounts.getUser(this.#sql, id);
  }
  listUsers(): Promise<T.UserRecord[]> {
    return accounts.listUsers(this.#sql);
  }
  countUsers(): Promise<number> {
    return accounts.countUsers(this.#sql);
  }
  createToken(t: Omit<T.TokenRecord, 'id' | 'createdAt' | 'revokedAt' | 'instanceId'> & { instanceId?: string }): Promise<T.TokenRecord> {
    return accounts.createToken(this.#write, t);
  }
  getTokenByHash(hash: string): Promise<T.TokenRecord | undefined> {
    return accounts.getTokenByHash(this.#sql, hash);
  }
  listTokens(filter: { userId?: string; customerId?: string }): Promise<T.TokenRecord[]> {
    return accounts.listTokens(this.#sql, filter);
  }
  revokeToken(id: string): Promise<boolean> {
    return accounts.revokeToken(this.#write, id);
  }

  createApp(name: string, root: { version: number; bytes: Uint8Array }): Promise<T.AppRecord> {
    return catalog.createApp(this.#ctx, name, root);
  }
  getApp(name: string): Promise<T.AppRecord | undefined> {
    return catalog.getApp(this.#ctx, name);
  }
  listApps(): Promise<T.AppRecord[]> {
    return catalog.listApps(this.#ctx);
  }
  listRoots(app: string): Promise<T.RootRecord[]> {
    return catalog.listRoots(this.#ctx, app);
  }
  addRoot(app: string, version: number, bytes: Uint8Array): Promise<T.RootRecord> {
    return catalog.addRoot(this.#ctx, app, version, bytes);
  }
  putRelease(r: Omit<T.ReleaseRecord, 'createdAt' | 'visible'> & { visible?: boolean }): Promise<T.ReleaseRecord> {
    return catalog.putRelease(this.#ctx, r);
  }
  setReleaseVisible(app: string, version: string, visible: boolean): Promise<void> {
    return catalog.setReleaseVisible(this.#ctx, app, version, visible);
  }
  getRelease(app: string, version: string): Promise<T.ReleaseRecord | undefined> {
    return catalog.getRelease(this.#ctx, app, version);
  }
  listReleases(app: string): Promise<T.ReleaseRecord[]> {
    return catalog.listReleases(this.#ctx, app);
  }

  listChannels(app: string): Promise<T.ChannelRecord[]> {
    return catalog.listChannels(this.#ctx, app);
  }
  getChannel(app: string, name: string): Promise<T.ChannelRecord | undefined> {
    return catalog.getChannel(this.#ctx, app, name);
  }
  promote(app: string, channel: string, version: string, required: boolean): Promise<void> {
    return catalog.promote(this.#ctx, app, channel, version, required);
  }
  demote(app: string, channel: string, version: string): Promise<boolean> {
    return catalog.demote(this.#ctx, app, channel, version);
  }
  setRequired(app: string, channel: string, version: string, required: boolean): Promise<boolean> {
    return catalog.setRequired(this.#ctx, app, channel, version, required);
  }
  createCustomer(c: { name: string; airgapped: boolean; entitlements: readonly T.Entitlement[] }): Promise<T.CustomerRecord> {
    return catalog.createCustomer(this.#ctx, c);
  }
  getCustomer(id: string): Promise<T.CustomerRecord | undefined> {
    return catalog.getCustomer(this.#ctx, id);
  }
  getCustomerByName(name: string): Promise<T.CustomerRecord | undefined> {
    return catalog.getCustomerByName(this.#ctx, name);
  }
  listCustomers(): Promise<T.CustomerRecord[]> {
    return catalog.listCustomers(this.#ctx);
  }
  setEntitlements(customerId: string, entitlements: readonly T.Entitlement[]): Promise<void> {
    return catalog.setEntitlements(this.#ctx, customerId, entitlements);
  }
  releasesVisibleTo(customerId: string, at: Date = new Date()): Promise<T.ReleaseRecord[]> {
    return catalog.releasesVisibleTo(this.#ctx, customerId, at);
  }
  isEntitled(customerId: string, app: string, version: string, at: Date = new Date()): Promise<boolean> {
    return catalog.isEntitled(this.#ctx, customerId, app, version, at);
  }

  async createInstance(i: { customerId: string; app: string; name: string; publicKey?: string; facts?: Record<string, string> }): Promise<T.InstanceRecord> {
    const rec: T.InstanceRecord = {
      id: randomUUID(), customerId: i.customerId, app: i.app, name: i.name,
      currentVersion: null, desiredVersion: null, health: null, lastSeenAt: null, createdAt: now(),
      publicKey: i.publicKey ?? null, facts: i.facts ?? {}, revokedAt: null, installNow: false, pinnedVersion: null, windows: [], report: null, blockedReason: null, tags: {},
    };
    await this.#unique(
      (tx) => tx.run('INSERT INTO instances (id, customer_id, app, name, created_at, public_key, facts) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [rec.id, rec.customerId, rec.app, rec.name, rec.createdAt, rec.publicKey, JSON.stringify(rec.facts)]),
      `instance "${i.name}"`,
    );
    return rec;
  }

  listFleet(filter: T.FleetFilter): Promise<T.InstanceRecord[]> {
    return fleet.listFleet(this.#sql, filter);
  }
  listInstanceEvents(instanceId: string, limit = 100): Promise<T.InstanceEvent[]> {
    return fleet.listInstanceEvents(this.#sql, instanceId, limit);
  }
  getEnrollTokenByHash(hash: string): Promise<T.EnrollTokenRecord | undefined> {
    return fleet.getEnrollTokenByHash(this.#sql, hash);
  }
  getSitePolicy(customerId: string, app: string): Promise<T.SitePolicy> {
    return fleet.getSitePolicy(this.#sql, customerId, app);
  }
  getAppKey(app: string, role: string): Promise<{ keyid: string; sealed: string } | undefined> {
    return fleet.getAppKey(this.#sql, app, role);
  }
  revokeInstance(id: string): Promise<boolean> {
    return fleet.revokeInstance(this.#write, id, now());
  }
  setInstanceTags(id: string, t: Readonly<Record<string, string>>): Promise<boolean> {
    return tags.setInstanceTags(this.#write, id, t);
  }
  setInstancePolicy(id: string, p: { pinnedVersion?: string | null; windows?: readonly unknown[]; installNow?: boolean }): Promise<boolean> {
    return fleet.setInstancePolicy(this.#write, id, p);
  }
  setSitePolicy(customerId: string, app: string, p: Partial<T.SitePolicy>): Promise<boolean> {
    return fleet.setSitePolicy(this.#write, customerId, app, p);
  }
  createEnrollToken(t: { hash: string; customerId: string; app: string; uses: number; expiresAt: string }): Promise<T.EnrollTokenRecord> {
    return fleet.createEnrollToken(this.#write, t, now());
  }
  consumeEnrollToken(hash: string, at: Date): Promise<T.EnrollTokenRecord | undefined> {
    return fleet.consumeEnrollToken(this.#write, hash, at);
  }
  putAppKey(app: string, role: string, keyid: string, sealed: string): Promise<void> {
    return fleet.putAppKey(this.#write, app, role, keyid, sealed, now());
  }
  addInstanceEvent(instanceId: string, e: T.InstanceEvent): Promise<void> {
    return fleet.addInstanceEvent(this.#tx.getStore() ?? this.#driver, instanceId, e);
  }
  listSiteValues(customerId: string, app: string, instanceId?: string): Promise<T.SiteValueRecord[]> {
    return siteValues.listSiteValues(this.#sql, customerId, app, instanceId);
  }
  setSiteValues(scope: T.ValuesScope, values: readonly T.SiteValueInput[]): Promise<void> {
    return siteValues.setSiteValues(this.#write, scope, values, now());
  }
  unsetSiteValues(scope: T.ValuesScope, names: readonly string[]): Promise<number> {
    return siteValues.unsetSiteValues(this.#write, scope, names);
  }
  getChannelPolicy(app: string, channel: string): Promise<T.ChannelPolicy | undefined> {
    return gates.getChannelPolicy(this.#sql, app, channel);
  }
  setChannelPolicy(p: Omit<T.ChannelPolicy, 'updatedAt'>): Promise<void> {
    return gates.setChannelPolicy(this.#write, p, now());
  }
  getReleaseScan(app: string, version: string): Promise<T.ReleaseScanRecord | undefined> {
    return gates.getReleaseScan(this.#sql, app, version);
  }
  putReleaseScan(s: Omit<T.ReleaseScanRecord, 'uploadedAt'>): Promise<void> {
    return gates.putReleaseScan(this.#write, s, now());
  }
  listWaivers(app: string, version: string): Promise<T.WaiverRecord[]> {
    return gates.listWaivers(this.#sql, app, version);
  }
  putWaiver(w: Omit<T.WaiverRecord, 'createdAt'>): Promise<void> {
    return gates.putWaiver(this.#write, w, now());
  }
  setCustomerRecipient(customerId: string, recipient: string | null): Promise<boolean> {
    return setCustomerRecipient(this.#write, customerId, recipient);
  }
  setInstanceBlocked(instanceId: string, reason: string | null): Promise<boolean> {
    return siteValues.setInstanceBlocked(this.#tx.getStore() ?? this.#driver, instanceId, reason);
  }

  async listInstances(customerId: string): Promise<T.InstanceRecord[]> {
    return (await this.#sql.all<rows.InstanceRow>('SELECT * FROM instances WHERE customer_id = ? ORDER BY name', [customerId])).map(rows.toInstance);
  }

  async getInstance(id: string): Promise<T.InstanceRecord | undefined> {
    const [r] = await this.#sql.all<rows.InstanceRow>('SELECT * FROM instances WHERE id = ?', [id]);
    return r && rows.toInstance(r);
  }

  async reportInstance(id: string, report: { currentVersion: string | null; health: string | null; report?: Record<string, unknown> }): Promise<boolean> {
    const n = await (this.#tx.getStore() ?? this.#driver).transaction(async (tx) => {
      // What an instance runs decides its desired state (required steps, never below it), so a new version is a change.
      await bumpGenerationIfVersionChanges(tx, id, report.currentVersion);
      return tx.run(
        'UPDATE instances SET current_version = ?, health = ?, last_seen_at = ?, report = COALESCE(?, report) WHERE id = ?',
        [report.currentVersion, report.health, now(), report.report ? JSON.stringify(report.report) : null, id],
      );
    });
    return n === 1;
  }

  generation(): Promise<number> {
    return readGeneration(this.#sql);
  }

  async listAudit(opts: { afterId?: number; limit?: number } = {}): Promise<T.AuditEntry[]> {
    const list = await this.#sql.all<rows.AuditRow>('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?', [opts.afterId ?? 0, opts.limit ?? 1_000_000]);
    return list.map(rows.toAudit);
  }
  getAirgapState(instanceId: string): Promise<T.AirgapState> {
    return airgap.getAirgapState(this.#sql, instanceId);
  }
  listSupportBundles(instanceId: string): Promise<T.SupportBundleRecord[]> {
    return airgap.listSupportBundles(this.#sql, instanceId);
  }
  recordReportImport(instanceId: string, r: { seq: number; digest: string; createdAt: string }): Promise<boolean> {
    return airgap.recordReportImport(this.#write, instanceId, r);
  }
  setSupportRequest(instanceId: string, at: string | null): Promise<void> {
    return airgap.setSupportRequest(this.#write, instanceId, at);
  }
  addSupportBundle(b: Omit<T.SupportBundleRecord, 'id' | 'createdAt'>): Promise<T.SupportBundleRecord> {
    return airgap.addSupportBundle(this.#write, b, now());
  }
}
