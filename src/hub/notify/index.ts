// Notifications: events into the outbox (emit), the worker that delivers them, and the webhook signature receivers check.
export { emit, emitAlert, emitInstanceFailed, emitReleasePublished, emitRolloutEvent, EVENT_TYPES, type EventType, type HubEvent } from './events.ts';
export { NotifyWorker, DEFAULT_NOTIFY, webhookSecretContext, retryDelayMs, type NotifyOptions } from './worker.ts';
export { signWebhook, verifyWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, EVENT_HEADER, DELIVERY_HEADER, REPLAY_WINDOW_SECONDS } from './signature.ts';
export type { MailSettings } from './send.ts';
