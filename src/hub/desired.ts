// The hub's desired-state answers: decided by src/fleet from the instance's channel and policies, signed with the app's
// timestamp key for a fixed period. The ETag names the content and the period, so the common poll is a bodiless 304 and
// replicas agree without sharing a cache; `issued` is the moment of signing, so an answer signed before a change is
// older than any signed after it, and the agent refuses it as a replay (the period start would give both the same).
import { createHash } from 'node:crypto';
import { decideDesired, parseWindows, signDesired, type DesiredEnvelope, type MaintenanceWindow } from '../fleet/index.ts';
import { canonicalJson, signingKeyFromPem, type SigningKey } from '../trust/index.ts';
import { SkiffError } from '../util/index.ts';
import type { HubAccess } from './access.ts';
import type { InstancePrincipal } from './auth/principal.ts';
import type { Sealer } from './auth/sealing.ts';
import type { MetadataDb } from './db/types.ts';
import { SiteValues } from './values.ts';

export interface DesiredOptions {
  /** How often agents poll (the answer tells them). */
  readonly pollSeconds: number;
  /** Answers are re-signed every period and expire after two. */
  readonly periodSeconds: number;
  readonly now: () => Date;
}

export const DEFAULT_DESIRED: DesiredOptions = { pollSeconds: 30, periodSeconds: 600, now: () => new Date() };

const CACHE_LIMIT = 100_000;

export const timestampKeyContext = (app: string): string => `app:${app}/key:timestamp`;

export class DesiredStates {
  readonly #db: MetadataDb;
  readonly #access: HubAccess;
  readonly #sealer: Sealer;
  readonly #opts: DesiredOptions;
  readonly #values: SiteValues;
  readonly #keys = new Map<string, SigningKey>();
  readonly #signed = new Map<string, { etag: string; body: DesiredEnvelope }>();

  constructor(db: MetadataDb, access: HubAccess, sealer: Sealer, opts: Partial<DesiredOptions> = {}) {
    this.#db = db;
    this.#access = access;
    this.#sealer = sealer;
    this.#opts = { ...DEFAULT_DESIRED, ...opts };
    this.#values = new SiteValues(db, access, sealer);
  }

  /** The instance's current answer and its ETag. */
  async answer(p: InstancePrincipal): Promise<{ etag: string; body: () => Promise<DesiredEnvelope> }> {
    const inst = await this.#db.getInstance(p.instanceId);
    if (!inst) throw new SkiffError('UNAUTHORIZED', 'this instance is no longer known to the hub: enroll again');
    const [releases, channel, policy, given] = await Promise.all([
      this.#access.releases(p, p.app).catch(() => []),
      this.#access.channels(p, p.app).then((c) => c[0]?.releases ?? [], () => []),
      this.#db.getSitePolicy(p.customerId, p.app),
      this.#values.given(p.customerId, p.app, inst.id),
    ]);
    const required = new Set(channel.filter((e) => e.required).map((e) => e.version));
    const { desired: state, blockedReason } = decideDesired({
      app: p.app,
      instance: inst.id,
      channel: releases.map((r) => ({ version: r.version, digest: r.digest, required: required.has(r.version) })),
      current: inst.currentVersion,
      instancePin: inst.pinnedVersion,
      sitePin: policy.pinnedVersion,
      instanceWindows: windowsOf(inst.windows),
      siteWindows: windowsOf(policy.windows),
      installNow: inst.installNow,
      pollSeconds: this.#opts.pollSeconds,
      values: (r) => this.#values.verdict(releases.find((x) => x.version === r.version), given),
    });
    await this.#values.noteBlocked(inst, blockedReason);
    const periodMs = this.#opts.periodSeconds * 1000;
    const start = Math.floor(this.#opts.now().getTime() / periodMs) * periodMs;
    const etag = `"${createHash('sha256').update(canonicalJson(state)).update(String(start)).digest('hex').slice(0, 32)}"`;
    return {
      etag,
      body: async () => {
        const cached = this.#signed.get(inst.id);
        if (cached?.etag === etag) return cached.body;
        const body = signDesired({ ...state, issued: this.#opts.now().toISOString(), expires: new Date(start + 2 * periodMs).toISOString() }, await this.#key(p.app));
        if (this.#signed.size >= CACHE_LIMIT) this.#signed.clear();
        this.#signed.set(inst.id, { etag, body });
        return body;
      },
    };
  }

  async #key(app: string): Promise<SigningKey> {
    const stored = await this.#db.getAppKey(app, 'timestamp');
    if (!stored)
      throw new SkiffError('CONFLICT', `app "${app}" has no timestamp key at the hub, so its instances cannot be told what to run: the vendor uploads it with skiff app timestamp-key ${app} --trust DIR`);
    const cached = this.#keys.get(`${app}/${stored.keyid}`);
    if (cached) return cached;
    const key = signingKeyFromPem(this.#sealer.unseal(stored.sealed, timestampKeyContext(app)), `the timestamp key of app "${app}"`);
    this.#keys.set(`${app}/${stored.keyid}`, key);
    return key;
  }
}

function windowsOf(stored: readonly unknown[]): MaintenanceWindow[] {
  try {
    return parseWindows(stored, 'windows');
  } catch {
    return [];
  }
}
