// The hub's desired-state answers: decided by src/fleet from the instance's channel and policies, signed with the app's
// timestamp key for a fixed period. The ETag names the content, the period and the key, so the common poll is a bodiless
// 304 and replicas agree without sharing a cache; each replica keeps the ETags it computed while the hub's generation
// stays the same, so that 304 costs no query. `issued` is the moment of signing, so an answer signed before a change is
// older than any signed after it, and the agent refuses it as a replay (the period start would give both the same).
import { createHash } from 'node:crypto';
import { decideDesired, parseWindows, signDesired, type DesiredEnvelope, type MaintenanceWindow } from '../fleet/index.ts';
import { canonicalJson, signingKeyFromPem, type SigningKey } from '../trust/index.ts';
import { SkiffError } from '../util/index.ts';
import type { HubAccess } from './access.ts';
import type { InstancePrincipal } from './auth/principal.ts';
import type { Sealer } from './auth/sealing.ts';
import type { MetadataDb } from './db/types.ts';
import { FreshGeneration, GenerationCache } from './generation.ts';
import type { SiteValues } from './values.ts';

export interface DesiredOptions {
  /** How often agents poll (the answer tells them). */
  readonly pollSeconds: number;
  /** Answers are re-signed every period and expire after two. */
  readonly periodSeconds: number;
  readonly now: () => Date;
}

export const DEFAULT_DESIRED: DesiredOptions = { pollSeconds: 30, periodSeconds: 600, now: () => new Date() };

const CACHE_LIMIT = 100_000;

export interface Answer {
  readonly etag: string;
  /** The signed answer (signed once per ETag and kept). */
  body(): Promise<DesiredEnvelope>;
}

export const timestampKeyContext = (app: string): string => `app:${app}/key:timestamp`;

export class DesiredStates {
  readonly #db: MetadataDb;
  readonly #access: HubAccess;
  readonly #sealer: Sealer;
  readonly #opts: DesiredOptions;
  readonly #values: SiteValues;
  readonly #keys = new Map<string, SigningKey>();
  readonly #signed = new Map<string, { etag: string; body: DesiredEnvelope }>();
  readonly #answers = new GenerationCache<{ answer: Answer; validUntilMs: number }>(CACHE_LIMIT);
  readonly #generation: FreshGeneration;

  constructor(db: MetadataDb, access: HubAccess, sealer: Sealer, values: SiteValues, opts: Partial<DesiredOptions> = {}, generation = new FreshGeneration(() => db.generation())) {
    this.#db = db;
    this.#access = access;
    this.#sealer = sealer;
    this.#values = values;
    this.#opts = { ...DEFAULT_DESIRED, ...opts };
    this.#generation = generation;
  }

  /**
   * The instance's current answer and its ETag. Under an unchanged hub generation (every change to the channel,
   * entitlements, policies, the instance, keys and roots moves it on) and within the signing period and the
   * entitlement's life, the ETag is the one computed before: the unchanged poll costs no query.
   */
  async answer(p: InstancePrincipal, generation?: number): Promise<Answer> {
    const gen = generation ?? (await this.#generation.fresh());
    const hit = this.cached(p, gen);
    if (hit) return hit;
    const computed = await this.#compute(p, this.#opts.now().getTime());
    this.#answers.set(gen, p.instanceId, computed);
    return computed.answer;
  }

  /** The answer computed for the instance under `generation`, while it holds (no I/O). */
  cached(p: InstancePrincipal, generation: number | undefined): Answer | undefined {
    if (generation === undefined) return undefined;
    const hit = this.#answers.get(generation, p.instanceId);
    return hit && this.#opts.now().getTime() < hit.validUntilMs ? hit.answer : undefined;
  }

  async #compute(p: InstancePrincipal, nowMs: number): Promise<{ answer: Answer; validUntilMs: number }> {
    const inst = await this.#db.getInstance(p.instanceId);
    if (!inst) throw new SkiffError('UNAUTHORIZED', 'this instance is no longer known to the hub: enroll again');
    const [channel, policy, key, given, rollout, approval, airgap] = await Promise.all([
      this.#access.instanceChannel(p),
      this.#db.getSitePolicy(p.customerId, p.app),
      this.#db.getAppKey(p.app, 'timestamp'),
      this.#values.given(p.customerId, p.app, inst.id),
      this.#db.rollouts.viewFor(inst.id, p.app, p.customerId),
      this.#db.notify.getApproval(p.customerId, p.app),
      this.#db.getAirgapState(inst.id),
    ]);
    // An approval given for this instance alone counts with its customer's.
    const approved = approval.required ? [...approval.approved, ...(await this.#db.notify.instanceApprovals(inst.id)).map((a) => a.version)] : approval.approved;
    const { desired: state, blockedReason } = decideDesired({
      app: p.app,
      instance: inst.id,
      channel: channel.releases.map(({ release, required }) => ({ version: release.version, digest: release.digest, required })),
      current: inst.currentVersion,
      instancePin: inst.pinnedVersion,
      sitePin: policy.pinnedVersion,
      instanceWindows: windowsOf(inst.windows),
      siteWindows: windowsOf(policy.windows),
      installNow: inst.installNow,
      approval: { required: approval.required, approved, customer: p.customerName },
      supportBundle: airgap.supportRequestedAt !== null,
      pollSeconds: this.#opts.pollSeconds,
      values: (r) => this.#values.verdict(channel.releases.find((x) => x.release.version === r.version)?.release, given),
      // A rollout reaches only instances entitled to its release (the bundle download checks the same).
      rollout: rollout && channel.releases.some((x) => x.release.version === rollout.release.version) ? rollout : null,
    });
    await this.#values.noteBlocked(inst, blockedReason);
    const periodMs = this.#opts.periodSeconds * 1000;
    const start = Math.floor(nowMs / periodMs) * periodMs;
    // The signing key is part of the ETag: a new timestamp key means new signatures, which agents must fetch.
    const etag = `"${createHash('sha256').update(canonicalJson(state)).update(String(start)).update(key?.keyid ?? '-').digest('hex').slice(0, 32)}"`;
    // An entitlement that expires changes the answer then, without any write: the cached one ends with it.
    const validUntilMs = Math.min(start + periodMs, channel.endsAt ? Date.parse(channel.endsAt) : Infinity);
    const body = async (): Promise<DesiredEnvelope> => {
      const cached = this.#signed.get(inst.id);
      if (cached?.etag === etag) return cached.body;
      const signed = signDesired({ ...state, issued: this.#opts.now().toISOString(), expires: new Date(start + 2 * periodMs).toISOString() }, await this.#key(p.app));
      if (this.#signed.size >= CACHE_LIMIT) this.#signed.clear();
      this.#signed.set(inst.id, { etag, body: signed });
      return signed;
    };
    return { answer: { etag, body }, validUntilMs };
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
