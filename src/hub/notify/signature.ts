// Webhook signatures. The hub sends `Skiff-Timestamp: <unix seconds>` and `Skiff-Signature: v1=<hex>`, the hex being
// HMAC-SHA256 with the endpoint's secret over `<timestamp>.<raw body>`. A receiver recomputes it over the bytes it got
// (before any JSON parsing), compares in constant time, and rejects a timestamp more than 5 minutes from its own clock:
// a captured request replayed later then fails, and the timestamp cannot be changed without breaking the signature.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'skiff-signature';
export const TIMESTAMP_HEADER = 'skiff-timestamp';
export const EVENT_HEADER = 'skiff-event';
export const DELIVERY_HEADER = 'skiff-delivery';
/** A receiver refuses a signature whose timestamp is further than this from now. */
export const REPLAY_WINDOW_SECONDS = 300;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The receiver's check; returns why it refuses, or null when the request is authentic and fresh. */
export function verifyWebhook(secret: string, headers: { signature?: string; timestamp?: string }, body: string, nowMs = Date.now()): string | null {
  const ts = Number(headers.timestamp);
  if (!headers.timestamp || !Number.isInteger(ts)) return `no valid ${TIMESTAMP_HEADER} header`;
  if (Math.abs(nowMs / 1000 - ts) > REPLAY_WINDOW_SECONDS) return `${TIMESTAMP_HEADER} is more than ${REPLAY_WINDOW_SECONDS} s from now: a replay or a skewed clock`;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const given = Buffer.from(headers.signature ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : `${SIGNATURE_HEADER} does not match the body`;
}
