// One delivery attempt: a signed webhook POST or an e-mail over SMTP, each bounded by a timeout. Neither ever puts the
// endpoint's secret, or a body, in its result (that result is the delivery log).
import nodemailer from 'nodemailer';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signature.ts';

export interface AttemptResult {
  readonly ok: boolean;
  readonly status: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

const describe = (e: unknown): string => {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  return err.cause?.code ?? err.cause?.message ?? err.message;
};

export async function postWebhook(url: string, secret: string, d: { id: string; event: string; payload: string }, timeoutMs: number): Promise<AttemptResult> {
  const started = performance.now();
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'skiff-hub',
        [EVENT_HEADER]: d.event,
        [DELIVERY_HEADER]: d.id,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signWebhook(secret, timestamp, d.payload),
      },
      body: d.payload,
    });
    await res.body?.cancel().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return { ok, status: res.status, error: ok ? null : `the receiver answered ${res.status}`, durationMs: performance.now() - started };
  } catch (e) {
    return { ok: false, status: null, error: describe(e), durationMs: performance.now() - started };
  }
}

export interface MailSettings {
  /** smtp://host:port (smtps:// for TLS). */
  readonly smtpUrl: string;
  readonly from: string;
}

export type Mailer = (message: { to: string; subject: string; text: string }, timeoutMs: number) => Promise<AttemptResult>;

export function smtpMailer(settings: MailSettings | undefined): Mailer {
  return async (message, timeoutMs) => {
    const started = performance.now();
    if (!settings) return { ok: false, status: null, error: 'the hub has no SMTP server: start it with skiff hub serve --smtp smtp://HOST:PORT', durationMs: 0 };
    const url = new URL(settings.smtpUrl);
    const transport = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
      secure: url.protocol === 'smtps:',
      ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    try {
      await transport.sendMail({ from: settings.from, ...message });
      return { ok: true, status: null, error: null, durationMs: performance.now() - started };
    } catch (e) {
      return { ok: false, status: null, error: describe(e), durationMs: performance.now() - started };
    } finally {
      transport.close();
    }
  };
}
