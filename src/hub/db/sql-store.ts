// The MetadataDb written once in portable SQL over the SqlDriver seam (the transaction mechanism here, the instances' methods in
// sql-instances.ts); sqlite.ts and postgres.ts only supply drivers.
import { AsyncLocalStorage } from 'node:async_hooks';
import { SkiffError } from '../../util/index.ts';
import { LOCKS, type SqlDriver, type SqlExec } from './driver.ts';
import { admitLoginAttempt, appendAuditEntry } from './sql-audit.ts';
import { MIGRATIONS } from './migrations.ts';
import { setCustomerRecipient } from './sql-recipients.ts';
import { bumpGeneration, readGeneration } from './sql-generation.ts';
import * as rows from './sql-rows.ts';
import * as gates from './sql-gates.ts';
import { SqlRollouts } from './sql-rollouts.ts';
import { SqlNotifyStore } from './sql-notify.ts';
import { observeStore } from './sql-observe.ts';
import * as accounts from './sql-accounts.ts';
import * as catalog from './sql-catalog.ts';
import type * as T from './types.ts';
import { SqlLogStore } from './sql-logs.ts';
import { SqlCustomerUsers } from './sql-customer-users.ts';
import { SqlInstanceStore } from './sql-instances.ts';

const now = (): string => new Date().toISOString();

export class SqlMetadataDb extends SqlInstanceStore implements T.MetadataDb, T.MetadataTx {
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
    super();
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

  protected get readExec(): SqlExec {
    return this.#sql;
  }

  protected get writeExec(): SqlExec {
    return this.#write;
  }

  protected uniqueInsert<R>(fn: (tx: SqlExec) => Promise<R>, what: string): Promise<R> {
    return this.#unique(fn, what);
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

  generation(): Promise<number> {
    return readGeneration(this.#sql);
  }

  async listAudit(opts: { afterId?: number; limit?: number } = {}): Promise<T.AuditEntry[]> {
    const list = await this.#sql.all<rows.AuditRow>('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?', [opts.afterId ?? 0, opts.limit ?? 1_000_000]);
    return list.map(rows.toAudit);
  }
}
