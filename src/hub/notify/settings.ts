// The notification settings of `skiff hub serve` (--smtp, --mail-from, --silent-after, --notify-retry, --notify-timeout),
// checked once at start so a typo stops the hub with a message instead of failing every delivery later.
import { SkiffError } from '../../util/index.ts';
import type { NotifyOptions } from './worker.ts';

export interface NotifyFlags {
  smtp?: string;
  mailFrom?: string;
  silentAfter?: string;
  notifyRetry?: string;
  notifyTimeout?: string;
}

function positive(flag: string, raw: string | undefined, unit: string, allowZero: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new SkiffError('USAGE', `${flag} "${raw}" is not a ${allowZero ? 'non-negative' : 'positive'} number of ${unit}`);
  return n;
}

export function notifyOptionsFrom(f: NotifyFlags): Partial<NotifyOptions> {
  const out: { -readonly [K in keyof NotifyOptions]?: NotifyOptions[K] } = {};
  if (f.smtp !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(f.smtp);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname)
      throw new SkiffError('USAGE', `--smtp "${f.smtp}" is not an SMTP URL like smtp://127.0.0.1:25 or smtps://user:password@mail.example.com:465`);
    out.mail = { smtpUrl: f.smtp, from: f.mailFrom ?? 'skiff-hub@localhost' };
  } else if (f.mailFrom !== undefined) throw new SkiffError('USAGE', '--mail-from needs --smtp (the server that sends the mail)');
  const silent = positive('--silent-after', f.silentAfter, 'minutes', true);
  if (silent !== undefined) out.silentAfterMs = silent * 60_000;
  const retry = positive('--notify-retry', f.notifyRetry, 'milliseconds', false);
  if (retry !== undefined) out.retryBaseMs = retry;
  const timeout = positive('--notify-timeout', f.notifyTimeout, 'milliseconds', false);
  if (timeout !== undefined) out.timeoutMs = timeout;
  return out;
}
