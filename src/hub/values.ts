// Per-site values at the hub: a customer's per app, overridden per instance. Secrets are sealed under the hub key and
// bound to customer, instance, app and setting (a sealed value moved to another row does not open); they leave the
// hub only in the answer to the instance itself. Values are checked against the settings a release declares, for
// the release each site runs or would get.
import type { ConfigSetting } from '../compose/index.ts';
import { checkSiteValues, chooseRelease, mergeValues, type ValuesVerdict } from '../fleet/index.ts';
import { parseReleaseManifest } from '../release/index.ts';
import type { HubAccess } from './access.ts';
import type { CustomerPrincipal } from './auth/principal.ts';
import type { Sealer } from './auth/sealing.ts';
import type {
  CustomerRecord,
  InstanceRecord,
  MetadataDb,
  ReleaseRecord,
  SiteValueInput,
  SiteValueRecord,
  ValuesScope,
} from './db/types.ts';

const SETTINGS_CACHE_LIMIT = 1_000;

export const valueContext = (scope: ValuesScope, name: string): string =>
  `values:customer:${scope.customerId}/instance:${scope.instanceId ?? '-'}/app:${scope.app}/key:${name}`;

/** A site whose values are checked: an instance, or (instanceId null) a new instance of the customer. */
export interface SiteTarget {
  readonly site: string;
  readonly instanceId: string | null;
  /** The release the site would get, else the one it runs; undefined when neither is known. */
  readonly release: ReleaseRecord | undefined;
}

export class SiteValues {
  readonly #db: MetadataDb;
  readonly #access: HubAccess;
  readonly #sealer: Sealer;
  readonly #settings = new Map<string, readonly ConfigSetting[]>();

  constructor(db: MetadataDb, access: HubAccess, sealer: Sealer) {
    this.#db = db;
    this.#access = access;
    this.#sealer = sealer;
  }

  /** The settings a release declares (parsed once per release digest: releases are immutable). */
  settingsOf(rec: ReleaseRecord): readonly ConfigSetting[] {
    const cached = this.#settings.get(rec.digest);
    if (cached) return cached;
    const settings = parseReleaseManifest(
      rec.manifest,
      `stored release ${rec.app}@${rec.version}`,
    ).configSchema;
    if (this.#settings.size >= SETTINGS_CACHE_LIMIT) this.#settings.clear();
    this.#settings.set(rec.digest, settings);
    return settings;
  }

  verdict(rec: ReleaseRecord | undefined, given: Readonly<Record<string, string>>): ValuesVerdict {
    if (!rec) return { ok: false, reason: 'the release is not at the hub' };
    return checkSiteValues(this.settingsOf(rec), given);
  }

  /** What a row stores: a secret sealed to its scope and name, any other value as it is. */
  stored(scope: ValuesScope, name: string, value: string, secret: boolean): SiteValueInput {
    return { name, value: secret ? this.#sealer.seal(value, valueContext(scope, name)) : value, secret };
  }

  /** The clear text of a stored row. */
  opened(row: SiteValueRecord): string {
    return row.secret ? this.#sealer.unseal(row.value, valueContext(row, row.name)) : row.value;
  }

  /** The values an instance runs with as given: its customer's, and its own over them. */
  async given(customerId: string, app: string, instanceId: string): Promise<Record<string, string>> {
    return this.merged(await this.#db.listSiteValues(customerId, app, instanceId), instanceId);
  }

  /** From stored rows, the values of a site in clear text: the customer's, and (for an instance) its own over them. */
  merged(rows: readonly SiteValueRecord[], instanceId: string | null): Record<string, string> {
    const level = (id: string | null) =>
      Object.fromEntries(rows.filter((r) => r.instanceId === id).map((r) => [r.name, this.opened(r)]));
    return mergeValues(level(null), instanceId === null ? {} : level(instanceId));
  }

  /** The rows that decide a site's values, by name (an instance's row over its customer's). */
  effective(rows: readonly SiteValueRecord[], instanceId: string | null): Map<string, SiteValueRecord> {
    const out = new Map<string, SiteValueRecord>();
    for (const r of rows) if (r.instanceId === null) out.set(r.name, r);
    if (instanceId !== null) for (const r of rows) if (r.instanceId === instanceId) out.set(r.name, r);
    return out;
  }

  /** Keeps the instance's held-back reason current (written only when it changes, so a poll stays one read). */
  async noteBlocked(inst: InstanceRecord, reason: string | null): Promise<void> {
    if (inst.blockedReason === reason) return;
    await this.#db.setInstanceBlocked(inst.id, reason);
    await this.#db.addInstanceEvent(inst.id, {
      at: new Date().toISOString(),
      kind: reason === null ? 'unblocked' : 'blocked',
      detail: reason === null ? {} : { reason },
    });
  }

  /**
   * The sites whose values a change at `scope` touches, each with the release it would get (else the one it runs):
   * one instance, or every instance of the customer's app and a new one.
   */
  async targets(customer: CustomerRecord, app: string, instance?: InstanceRecord): Promise<SiteTarget[]> {
    const db = this.#db;
    const p: CustomerPrincipal = {
      kind: 'customer',
      customerId: customer.id,
      customerName: customer.name,
      tokenId: 'values',
    };
    const [releases, entries, policy] = await Promise.all([
      this.#access.releases(p, app).catch(() => []),
      this.#access.channels(p, app).then(
        (c) => c[0]?.releases ?? [],
        () => [],
      ),
      db.getSitePolicy(customer.id, app),
    ]);
    const required = new Set(entries.filter((e) => e.required).map((e) => e.version));
    const channel = releases.map((r) => ({
      version: r.version,
      digest: r.digest,
      required: required.has(r.version),
    }));
    const byVersion = new Map(releases.map((r) => [r.version, r]));
    const targetOf = async (
      current: string | null,
      instancePin: string | null,
    ): Promise<ReleaseRecord | undefined> => {
      const chosen = chooseRelease({ channel, current, instancePin, sitePin: policy.pinnedVersion });
      if (chosen) return byVersion.get(chosen.version);
      return current === null ? undefined : db.getRelease(app, current);
    };
    const instances = instance
      ? [instance]
      : (await db.listInstances(customer.id)).filter((i) => i.app === app && i.revokedAt === null);
    const sites: SiteTarget[] = [];
    for (const i of instances)
      sites.push({
        site: `${customer.name}/${i.name}`,
        instanceId: i.id,
        release: await targetOf(i.currentVersion, i.pinnedVersion),
      });
    if (!instance)
      sites.push({
        site: `${customer.name} (a new instance)`,
        instanceId: null,
        release: await targetOf(null, null),
      });
    return sites;
  }
}
