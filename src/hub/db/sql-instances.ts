// Instances in the metadata store: enrollment and its tokens, the fleet list, an instance's policy, tags, site values,
// events and reports, and its air-gapped state. SqlMetadataDb (sql-store.ts) extends this with the transaction mechanism
// the three accessors below give.
import { randomUUID } from 'node:crypto';
import type { SqlExec } from './driver.ts';
import * as airgap from './sql-airgap.ts';
import * as fleet from './sql-fleet.ts';
import { bumpGenerationIfVersionChanges } from './sql-generation.ts';
import * as rows from './sql-rows.ts';
import * as tags from './sql-tags.ts';
import * as siteValues from './sql-values.ts';
import type * as T from './types.ts';

const now = (): string => new Date().toISOString();

export abstract class SqlInstanceStore {
  /** The current transaction, else the driver. */
  protected abstract get readExec(): SqlExec;
  /** The current transaction; throws outside mutate() (every write needs its audit entry). */
  protected abstract get writeExec(): SqlExec;
  /** Runs an insert in a savepoint, turning a unique violation into CONFLICT naming `what`. */
  protected abstract uniqueInsert<R>(fn: (tx: SqlExec) => Promise<R>, what: string): Promise<R>;

  async createInstance(i: { customerId: string; app: string; name: string; publicKey?: string; facts?: Record<string, string> }): Promise<T.InstanceRecord> {
    const rec: T.InstanceRecord = {
      id: randomUUID(), customerId: i.customerId, app: i.app, name: i.name,
      currentVersion: null, desiredVersion: null, health: null, lastSeenAt: null, createdAt: now(),
      publicKey: i.publicKey ?? null, facts: i.facts ?? {}, revokedAt: null, installNow: false, pinnedVersion: null, windows: [], report: null, blockedReason: null, tags: {},
    };
    await this.uniqueInsert(
      (tx) => tx.run('INSERT INTO instances (id, customer_id, app, name, created_at, public_key, facts) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [rec.id, rec.customerId, rec.app, rec.name, rec.createdAt, rec.publicKey, JSON.stringify(rec.facts)]),
      `instance "${i.name}"`,
    );
    return rec;
  }

  listFleet(filter: T.FleetFilter): Promise<T.InstanceRecord[]> {
    return fleet.listFleet(this.readExec, filter);
  }
  listInstanceEvents(instanceId: string, limit = 100): Promise<T.InstanceEvent[]> {
    return fleet.listInstanceEvents(this.readExec, instanceId, limit);
  }
  getEnrollTokenByHash(hash: string): Promise<T.EnrollTokenRecord | undefined> {
    return fleet.getEnrollTokenByHash(this.readExec, hash);
  }
  getSitePolicy(customerId: string, app: string): Promise<T.SitePolicy> {
    return fleet.getSitePolicy(this.readExec, customerId, app);
  }
  getAppKey(app: string, role: string): Promise<{ keyid: string; sealed: string } | undefined> {
    return fleet.getAppKey(this.readExec, app, role);
  }
  revokeInstance(id: string): Promise<boolean> {
    return fleet.revokeInstance(this.writeExec, id, now());
  }
  setInstanceTags(id: string, t: Readonly<Record<string, string>>): Promise<boolean> {
    return tags.setInstanceTags(this.writeExec, id, t);
  }
  setInstancePolicy(id: string, p: { pinnedVersion?: string | null; windows?: readonly unknown[]; installNow?: boolean }): Promise<boolean> {
    return fleet.setInstancePolicy(this.writeExec, id, p);
  }
  setSitePolicy(customerId: string, app: string, p: Partial<T.SitePolicy>): Promise<boolean> {
    return fleet.setSitePolicy(this.writeExec, customerId, app, p);
  }
  createEnrollToken(t: { hash: string; customerId: string; app: string; uses: number; expiresAt: string }): Promise<T.EnrollTokenRecord> {
    return fleet.createEnrollToken(this.writeExec, t, now());
  }
  consumeEnrollToken(hash: string, at: Date): Promise<T.EnrollTokenRecord | undefined> {
    return fleet.consumeEnrollToken(this.writeExec, hash, at);
  }
  putAppKey(app: string, role: string, keyid: string, sealed: string): Promise<void> {
    return fleet.putAppKey(this.writeExec, app, role, keyid, sealed, now());
  }
  addInstanceEvent(instanceId: string, e: T.InstanceEvent): Promise<void> {
    return fleet.addInstanceEvent(this.readExec, instanceId, e);
  }
  listSiteValues(customerId: string, app: string, instanceId?: string): Promise<T.SiteValueRecord[]> {
    return siteValues.listSiteValues(this.readExec, customerId, app, instanceId);
  }
  setSiteValues(scope: T.ValuesScope, values: readonly T.SiteValueInput[]): Promise<void> {
    return siteValues.setSiteValues(this.writeExec, scope, values, now());
  }
  unsetSiteValues(scope: T.ValuesScope, names: readonly string[]): Promise<number> {
    return siteValues.unsetSiteValues(this.writeExec, scope, names);
  }
  setInstanceBlocked(instanceId: string, reason: string | null): Promise<boolean> {
    return siteValues.setInstanceBlocked(this.readExec, instanceId, reason);
  }

  async listInstances(customerId: string): Promise<T.InstanceRecord[]> {
    return (await this.readExec.all<rows.InstanceRow>('SELECT * FROM instances WHERE customer_id = ? ORDER BY name', [customerId])).map(rows.toInstance);
  }

  async getInstance(id: string): Promise<T.InstanceRecord | undefined> {
    const [r] = await this.readExec.all<rows.InstanceRow>('SELECT * FROM instances WHERE id = ?', [id]);
    return r && rows.toInstance(r);
  }

  async reportInstance(id: string, report: { currentVersion: string | null; health: string | null; report?: Record<string, unknown> }): Promise<boolean> {
    const n = await this.readExec.transaction(async (tx) => {
      // What an instance runs decides its desired state (required steps, never below it), so a new version is a change.
      await bumpGenerationIfVersionChanges(tx, id, report.currentVersion);
      return tx.run(
        'UPDATE instances SET current_version = ?, health = ?, last_seen_at = ?, report = COALESCE(?, report) WHERE id = ?',
        [report.currentVersion, report.health, now(), report.report ? JSON.stringify(report.report) : null, id],
      );
    });
    return n === 1;
  }
  getAirgapState(instanceId: string): Promise<T.AirgapState> {
    return airgap.getAirgapState(this.readExec, instanceId);
  }
  listSupportBundles(instanceId: string): Promise<T.SupportBundleRecord[]> {
    return airgap.listSupportBundles(this.readExec, instanceId);
  }
  recordReportImport(instanceId: string, r: { seq: number; digest: string; createdAt: string }): Promise<boolean> {
    return airgap.recordReportImport(this.writeExec, instanceId, r);
  }
  setSupportRequest(instanceId: string, at: string | null): Promise<void> {
    return airgap.setSupportRequest(this.writeExec, instanceId, at);
  }
  addSupportBundle(b: Omit<T.SupportBundleRecord, 'id' | 'createdAt'>): Promise<T.SupportBundleRecord> {
    return airgap.addSupportBundle(this.writeExec, b, now());
  }
}
