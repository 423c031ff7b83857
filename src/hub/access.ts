// Who may see and download what at the hub: the one home of every tenancy rule; routes and /v2/ ask it, never the db.
//
// A customer (and each of its enrolled instances, for its own app) sees an app only through an unexpired entitlement, and then only the channel it follows and the visible
// releases promoted into it; whatever lies outside answers exactly as a missing thing does (NOT_FOUND), so nothing can
// be probed. Content (bundles, /v2/ manifests and blobs) adds the required-release rule: a site may not receive a
// release that would skip a required one above the version it runs (its floor).
//
// A customer with a recipient key (an age X25519 key its vendor set) receives release content only encrypted to that
// key, it and its instances alike: download() names the key its bundles (full and deltas) are sealed to, and /v2/,
// which can only serve plain images and blobs, refuses it (FORBIDDEN, naming `skiff bundle fetch`). Vendor users are
// not customers: they get content as it is stored.
import { semver } from '../util/index-semver.ts';
import { SkiffError } from '../util/index.ts';
import { actorOf, type CustomerPrincipal, type InstancePrincipal, type Principal, type UserPrincipal } from './auth/principal.ts';
import type { Scope } from './auth/permissions.ts';
import type { AppRecord, ChannelEntry, ChannelRecord, CustomerRecord, CustomerRole, Entitlement, InstanceRecord, MetadataDb, ReleaseRecord } from './db/types.ts';

export const notFound = (what: string): SkiffError => new SkiffError('NOT_FOUND', `${what} not found`);

/** A vendor user holding `scope`; a customer gets NOT_FOUND (never FORBIDDEN), so its token learns nothing of the vendor side. */
export function requireScope(p: Principal, scope: Scope, what: string): UserPrincipal {
  if (p.kind !== 'user') throw notFound(what);
  if (!p.scopes.has(scope)) throw new SkiffError('FORBIDDEN', `${actorOf(p)} lacks the "${scope}" permission; ask an admin for a role or token that has it`);
  return p;
}

/** A customer caller's role: its user's, or for the customer's own token (its vendor-issued credential) an admin's. */
export function customerRoleOf(p: CustomerPrincipal): CustomerRole {
  return p.user?.role ?? 'customer-admin';
}

/** A change a customer makes to its own things needs a customer-admin; a viewer (who knows its customer) gets FORBIDDEN. */
export function requireCustomerAdmin(p: CustomerPrincipal, what: string): CustomerPrincipal {
  if (customerRoleOf(p) !== 'customer-admin') throw new SkiffError('FORBIDDEN', `${actorOf(p)} is a customer-viewer and may not ${what}; ask a customer-admin of "${p.customerName}"`);
  return p;
}

/** The unexpired entitlement of a customer to an app, if any. */
export function liveEntitlement(c: CustomerRecord | undefined, app: string, now: Date): Entitlement | undefined {
  return c?.entitlements.find((e) => e.app === app && (e.expiresAt === null || Date.parse(e.expiresAt) > now.getTime()));
}

/**
 * The required release a site running `floor` would skip by installing `version`: the lowest required entry strictly
 * between them. A site whose floor is unknown (a first install) skips nothing: it has no data to migrate.
 */
export function skippedRequired(entries: readonly ChannelEntry[], floor: string | undefined, version: string): string | undefined {
  if (floor === undefined) return undefined;
  return entries.find((e) => e.required && semver.gt(e.version, floor) && semver.lt(e.version, version))?.version;
}

/** The customer whose release content must be encrypted, and the age recipient it is encrypted to. */
export interface Sealed {
  readonly customerId: string;
  readonly recipient: string;
}

/** What a content route may serve: the release, the base of a delta, and the key it must be encrypted to (if any). */
export interface Download {
  readonly release: ReleaseRecord;
  /** The first of `bases` (the oldest), when a delta was asked for. */
  readonly base?: ReleaseRecord;
  /** A delta's bases, oldest first: the bundle applies to a site holding any one of them. */
  readonly bases: readonly ReleaseRecord[];
  readonly sealedTo?: Sealed;
}

/** The refusal of plain content (/v2/) to a customer whose content is encrypted to its key. */
export function plainRefused(customer: string, app: string): SkiffError {
  return new SkiffError(
    'FORBIDDEN',
    `customer "${customer}" receives ${app} only encrypted to its recipient key, and this API serves plain images: download the release with skiff bundle fetch ${app}@<version> (a bundle encrypted to your key)`,
  );
}

export class HubAccess {
  readonly #db: MetadataDb;
  readonly #now: () => Date;

  constructor(db: MetadataDb, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#now = now;
  }

  /** The customer's own record; any other customer is NOT_FOUND to it. Vendor users need `customer:read`. */
  async customer(p: Principal, name: string): Promise<CustomerRecord> {
    if (p.kind === 'user') requireScope(p, 'customer:read', `customer "${name}"`);
    const c = await this.#db.getCustomerByName(name);
    if (!c || p.kind === 'instance' || (p.kind === 'customer' && p.customerId !== c.id)) throw notFound(`customer "${name}"`);
    return c;
  }

  /**
   * The customer a change is made for: vendor users need `scope`; a customer only itself (any other is NOT_FOUND), as a
   * customer-admin; an instance nothing.
   */
  async customerForChange(p: Principal, name: string, scope: Scope, what: string): Promise<CustomerRecord> {
    if (p.kind === 'user') requireScope(p, scope, `customer "${name}"`);
    if (p.kind === 'instance') throw notFound(`customer "${name}"`);
    const c = await this.customer(p, name);
    if (p.kind === 'customer') requireCustomerAdmin(p, what);
    return c;
  }

  /** An instance the caller may see: vendor users with `customer:read`, its own customer, or the instance itself. */
  async instance(p: Principal, id: string): Promise<{ inst: InstanceRecord; customer: CustomerRecord }> {
    if (p.kind === 'user') requireScope(p, 'customer:read', `instance ${id}`);
    const inst = await this.#db.getInstance(id);
    if (!inst || (p.kind === 'customer' && inst.customerId !== p.customerId) || (p.kind === 'instance' && p.instanceId !== id)) throw notFound(`instance ${id}`);
    const customer = await this.#db.getCustomer(inst.customerId);
    if (!customer) throw notFound(`instance ${id}`);
    return { inst, customer };
  }

  /** The apps the caller may see: all for vendor users with "read", the live-entitled ones for a customer. */
  async apps(p: Principal): Promise<AppRecord[]> {
    const all = await this.#db.listApps();
    if (p.kind === 'user') {
      requireScope(p, 'read', 'route GET /api/v1/apps');
      return all;
    }
    const c = await this.#db.getCustomer(p.customerId);
    const now = this.#now();
    return all.filter((a) => liveEntitlement(c, a.name, now) && (p.kind === 'customer' || a.name === p.app));
  }

  /** The app, or NOT_FOUND when it is missing or the caller may not see it. */
  async app(p: Principal, name: string): Promise<AppRecord> {
    if (p.kind === 'user') requireScope(p, 'read', `app "${name}"`);
    else if (p.kind === 'instance' && p.app !== name) throw notFound(`app "${name}"`);
    else await this.#entitlement(p.customerId, name);
    const rec = await this.#db.getApp(name);
    if (!rec) throw notFound(`app "${name}"`);
    return rec;
  }

  /** The app's channels the caller may see: all for vendor users, the entitled one for a customer (visible releases only). */
  async channels(p: Principal, app: string): Promise<ChannelRecord[]> {
    await this.app(p, app);
    const all = await this.#db.listChannels(app);
    if (p.kind === 'user') return all;
    const ent = await this.#entitlement(p.customerId, app);
    const visible = new Set((await this.releases(p, app)).map((r) => r.version));
    return all.filter((c) => c.name === ent.channel).map((c) => ({ ...c, releases: c.releases.filter((e) => visible.has(e.version)) }));
  }

  /** The app's visible releases the caller may see, semver order: all for vendor users, the entitled channel's for a customer. */
  async releases(p: Principal, app: string): Promise<ReleaseRecord[]> {
    await this.app(p, app);
    if (p.kind === 'user') return (await this.#db.listReleases(app)).filter((r) => r.visible);
    return (await this.#db.releasesVisibleTo(p.customerId, this.#now())).filter((r) => r.app === app);
  }

  /**
   * What an instance's desired state is decided from, in one pass: the visible releases of its entitled channel (the
   * same as releases() and channels() give it) with their required flags, and when the entitlement ends (null: never).
   * Nothing when it has no live entitlement.
   */
  async instanceChannel(p: InstancePrincipal): Promise<{ releases: { release: ReleaseRecord; required: boolean }[]; endsAt: string | null }> {
    const now = this.#now();
    const ent = liveEntitlement(await this.#db.getCustomer(p.customerId), p.app, now);
    if (!ent) return { releases: [], endsAt: null };
    const [visible, channel] = await Promise.all([this.#db.releasesVisibleTo(p.customerId, now), this.#db.getChannel(p.app, ent.channel)]);
    const required = new Set((channel?.releases ?? []).filter((e) => e.required).map((e) => e.version));
    return { releases: visible.filter((r) => r.app === p.app).map((release) => ({ release, required: required.has(release.version) })), endsAt: ent.expiresAt };
  }

  /** One release's metadata, or NOT_FOUND as for a missing one. */
  async release(p: Principal, app: string, version: string): Promise<ReleaseRecord> {
    const found = (await this.releases(p, app)).find((r) => r.version === version);
    if (!found) throw notFound(`release ${app}@${version}`);
    return found;
  }

  /**
   * A release the caller may download, with the bases of a delta (`from`, one version or several: the bundle then
   * applies to any one of them): each must be visible to it (an unknown and a hidden base answer alike), and a
   * customer may not skip a required release from any of them (REQUIRED_RELEASE naming it).
   */
  async download(p: Principal, app: string, version: string, from: string | readonly string[] = []): Promise<Download> {
    const visible = await this.releases(p, app).catch((e: unknown) => {
      throw e instanceof SkiffError && e.code === 'NOT_FOUND' ? notFound(`release ${app}@${version}`) : e;
    });
    const release = visible.find((r) => r.version === version);
    if (!release) throw notFound(`release ${app}@${version}`);
    const sealedTo = await this.#sealedTo(p);
    const sealed = sealedTo ? { sealedTo } : {};
    const froms = typeof from === 'string' ? [from] : from;
    if (froms.length === 0) {
      await this.#requireNoSkip(p, app, version);
      return { release, bases: [], ...sealed };
    }
    const twice = froms.find((f, i) => froms.indexOf(f) !== i);
    if (twice !== undefined) throw new SkiffError('USAGE', `from=${twice} is given twice: name each base once`);
    const bases: ReleaseRecord[] = [];
    for (const f of [...froms].sort(semver.compare)) {
      if (!semver.lt(f, version)) throw new SkiffError('USAGE', `from=${f} is not older than ${version}: a delta goes from the release a site runs to a newer one`);
      const base = visible.find((r) => r.version === f);
      if (!base) throw notFound(`release ${app}@${f} (from=${f})`);
      bases.push(base);
    }
    for (const b of bases) await this.#requireNoSkip(p, app, version, b.version);
    return { release, base: bases[0]!, bases, ...sealed };
  }

  /**
   * The releases whose images /v2/ serves to the caller, newest first; one a customer may not reach yet is in `blocked`.
   * Plain content: FORBIDDEN to a customer whose content is encrypted to its key (once it is entitled, so nothing is probed).
   */
  async pullable(p: Principal, app: string): Promise<{ releases: ReleaseRecord[]; blocked: Map<string, SkiffError> }> {
    if (p.kind === 'user' && !p.scopes.has('read')) return { releases: [], blocked: new Map() };
    const all = await this.releases(p, app).catch((e: unknown) => {
      if (e instanceof SkiffError && e.code === 'NOT_FOUND') return [];
      throw e;
    });
    const blocked = new Map<string, SkiffError>();
    if (p.kind !== 'user' && all.length > 0) {
      const customer = await this.#db.getCustomer(p.customerId);
      if (customer?.recipient) throw plainRefused(customer.name, app);
      const site = await this.#siteOf(p, app);
      for (const r of all) {
        const skipped = skippedRequired(site.entries, site.floor, r.version);
        if (skipped !== undefined) blocked.set(r.version, requiredError(app, skipped, site.channel, site.floor ?? '', r.version));
      }
    }
    return { releases: all.filter((r) => !blocked.has(r.version)).reverse(), blocked };
  }

  /** The key a customer's (or its instance's) release content is encrypted to; none for vendor users or a customer without one. */
  async #sealedTo(p: Principal): Promise<Sealed | undefined> {
    if (p.kind === 'user') return undefined;
    const recipient = (await this.#db.getCustomer(p.customerId))?.recipient;
    return recipient ? { customerId: p.customerId, recipient } : undefined;
  }

  async #entitlement(customerId: string, app: string): Promise<Entitlement> {
    const ent = liveEntitlement(await this.#db.getCustomer(customerId), app, this.#now());
    if (!ent) throw notFound(`app "${app}"`);
    return ent;
  }

  /**
   * The site's channel entries for the app and its floor: what the instance runs, or for a customer token the oldest
   * version any of its instances of the app runs.
   */
  async #siteOf(p: CustomerPrincipal | InstancePrincipal, app: string): Promise<{ entries: readonly ChannelEntry[]; channel: string; floor: string | undefined }> {
    const ent = await this.#entitlement(p.customerId, app);
    const entries = (await this.#db.getChannel(app, ent.channel))?.releases ?? [];
    const instances = p.kind === 'instance' ? [await this.#db.getInstance(p.instanceId)] : await this.#db.listInstances(p.customerId);
    const running = instances
      .flatMap((i) => (i && i.app === app && i.currentVersion !== null && semver.valid(i.currentVersion) ? [i] : []))
      .map((i) => i.currentVersion as string)
      .sort(semver.compare);
    return { entries, channel: ent.channel, floor: running[0] };
  }

  /** For a customer or instance: the site asking runs `from` (a delta) or, for a full release, its floor. */
  async #requireNoSkip(p: Principal, app: string, version: string, from?: string): Promise<void> {
    if (p.kind === 'user') return;
    const site = await this.#siteOf(p, app);
    const floor = from ?? site.floor;
    const skipped = skippedRequired(site.entries, floor, version);
    if (skipped !== undefined) throw requiredError(app, skipped, site.channel, floor ?? '', version);
  }
}

export function requiredError(app: string, skipped: string, channel: string, floor: string, version: string): SkiffError {
  return new SkiffError('REQUIRED_RELEASE', `install ${app}@${skipped} first: it is required (channel "${channel}") and lies between ${floor} and ${version}`);
}
