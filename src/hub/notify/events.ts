// What the hub tells: each event becomes outbox rows (one per matching webhook endpoint, one per e-mail contact) in the
// caller's transaction, so an event is stored exactly when the change it tells of commits and is delivered later.
import { randomUUID } from 'node:crypto';
import { liveEntitlement } from '../access.ts';
import { parseReleaseManifest } from '../../release/index.ts';
import type { MetadataReads, OutboxItem, SilentInstance, WebhookRecord } from '../db/types.ts';

export const EVENT_TYPES = ['release.published', 'instance.failed', 'instance.silent', 'rollout.started', 'rollout.paused', 'rollout.finished', 'alert.firing', 'alert.resolved'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface HubEvent {
  readonly type: EventType;
  readonly data: Readonly<Record<string, unknown>>;
  /** The customers the event concerns: their own endpoints get it when they opted in. */
  readonly customerIds: readonly string[];
}

/** The JSON body every receiver gets. */
export function eventBody(e: HubEvent, at = new Date()): string {
  return JSON.stringify({ id: randomUUID(), type: e.type, at: at.toISOString(), data: e.data });
}

const wants = (w: WebhookRecord, type: string): boolean => w.events.includes('*') || w.events.includes(type);

/** The webhook rows of an event, from the endpoints and the opted-in customers given. */
export function webhookItems(e: HubEvent, hooks: readonly WebhookRecord[], optedIn: ReadonlySet<string>, at = new Date()): OutboxItem[] {
  const body = eventBody(e, at);
  return hooks
    .filter((w) => wants(w, e.type) && (w.customerId === null || (e.customerIds.includes(w.customerId) && optedIn.has(w.customerId))))
    .map((w) => ({ kind: 'webhook', target: w.id, event: e.type, payload: body }));
}

async function optedInCustomers(db: MetadataReads, ids: readonly string[], channel: 'webhooks' | 'email'): Promise<Set<string>> {
  const out = new Set<string>();
  for (const id of ids) if ((await db.notify.getCustomerNotify(id))[channel]) out.add(id);
  return out;
}

/** Stores the event's deliveries; call it inside the mutation that makes the change (the rollouts call it for theirs). */
export async function emit(db: MetadataReads, e: HubEvent): Promise<number> {
  const hooks = await db.notify.listWebhooks();
  const items = webhookItems(e, hooks, await optedInCustomers(db, e.customerIds, 'webhooks'));
  await db.notify.enqueue(items);
  return items.length;
}

/** `rollout.started|paused|finished` (called by the rollout scheduler, in its transaction). */
export function emitRolloutEvent(db: MetadataReads, type: 'rollout.started' | 'rollout.paused' | 'rollout.finished', rollout: Readonly<Record<string, unknown>>): Promise<number> {
  return emit(db, { type, data: { rollout }, customerIds: [] });
}

/** One of the hub's own alerts fired or resolved (hub.alerts.onTransition): the vendor's webhooks, and the customer's if it opted in. */
export async function emitAlert(db: MetadataReads, t: { readonly state: 'firing' | 'resolved'; readonly customer: string }): Promise<number> {
  const customer = await db.getCustomerByName(t.customer);
  return emit(db, { type: t.state === 'firing' ? 'alert.firing' : 'alert.resolved', data: { alert: { ...t } }, customerIds: customer ? [customer.id] : [] });
}

/** A release promoted into a channel: webhooks, and e-mail to the contacts of each opted-in customer entitled to that channel. */
export async function emitReleasePublished(db: MetadataReads, r: { app: string; channel: string; version: string; required: boolean }, now = new Date()): Promise<void> {
  const customers = (await db.listCustomers()).filter((c) => liveEntitlement(c, r.app, now)?.channel === r.channel);
  await emit(db, { type: 'release.published', data: { ...r }, customerIds: customers.map((c) => c.id) });
  const mails: OutboxItem[] = [];
  let changelog: string | undefined;
  for (const c of customers) {
    const n = await db.notify.getCustomerNotify(c.id);
    if (!n.email) continue;
    changelog ??= await changelogOf(db, r.app, r.version);
    const subject = `${r.app} ${r.version} is available on your channel ${r.channel}`;
    const text = `${subject}${r.required ? ' (a required release)' : ''}.\n\n${changelog.trim() === '' ? 'No release notes were given.' : `Release notes:\n\n${changelog.trim()}`}\n`;
    for (const to of n.contacts) mails.push({ kind: 'email', target: to, event: 'release.published', payload: JSON.stringify({ to, subject, text }) });
  }
  await db.notify.enqueue(mails);
}

/** The release's changelog from its signed manifest ('' when it has none or cannot be read: the mail still goes). */
export async function changelogOf(db: MetadataReads, app: string, version: string): Promise<string> {
  const release = await db.getRelease(app, version);
  try {
    return release ? parseReleaseManifest(release.manifest).changelog : '';
  } catch {
    return '';
  }
}

/** `instance.failed`: an instance reports that installing a release failed (and was rolled back). */
export function emitInstanceFailed(db: MetadataReads, i: { id: string; name: string; app: string; customerId: string; customer: string }, failed: { version: string; at: string; reason: string }): Promise<number> {
  return emit(db, { type: 'instance.failed', data: { instance: { id: i.id, name: i.name, app: i.app, customer: i.customer }, release: failed }, customerIds: [i.customerId] });
}

/** The `instance.silent` rows of one silence (pure: it runs inside the silence's own transaction). */
export function silenceItems(s: SilentInstance, customerName: string, silentMinutes: number, hooks: readonly WebhookRecord[], optedIn: ReadonlySet<string>): OutboxItem[] {
  const data = { instance: { id: s.id, name: s.name, app: s.app, customer: customerName }, lastSeenAt: s.lastSeenAt, silentMinutes };
  return webhookItems({ type: 'instance.silent', data, customerIds: [s.customerId] }, hooks, optedIn);
}
