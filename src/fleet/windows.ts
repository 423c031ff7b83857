// Maintenance windows: weekly spans of local time in an IANA time zone, when an agent may switch releases.
import * as z from 'zod';
import { SkiffError } from '../util/index.ts';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

export const MaintenanceWindowSchema = z
  .object({
    /** The days the window starts on; a window whose end is before its start ends on the next day. */
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7),
    start: HHMM,
    end: HHMM,
    timeZone: z.string().min(1).max(64),
  })
  .strict();
export type MaintenanceWindow = z.infer<typeof MaintenanceWindowSchema>;

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      throw new SkiffError('INVALID_INPUT', `time zone "${timeZone.slice(0, 64)}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The weekday (0 = Sunday) and minute of the day that `at` is in `timeZone`. */
export function localTime(at: Date, timeZone: string): { day: number; minute: number } {
  const parts = formatterFor(timeZone).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAYS.indexOf(get('weekday').toLowerCase() as Weekday);
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Parses windows from untrusted input; the error names the window and field. */
export function parseWindows(input: unknown, what: string): MaintenanceWindow[] {
  const parsed = z.array(MaintenanceWindowSchema).max(64).safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkiffError('INVALID_INPUT', `${what}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'is invalid'}`);
  }
  for (const w of parsed.data) formatterFor(w.timeZone);
  return parsed.data;
}

function openIn(w: MaintenanceWindow, at: Date): boolean {
  const { day, minute } = localTime(at, w.timeZone);
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  const startsOn = (d: number) => w.days.includes(WEEKDAYS[(d + 7) % 7] as Weekday);
  if (start === end) return startsOn(day);
  if (start < end) return startsOn(day) && minute >= start && minute < end;
  return (startsOn(day) && minute >= start) || (startsOn(day - 1) && minute < end);
}

/** Whether a switch may happen at `at`: no windows means always. */
export function windowOpen(windows: readonly MaintenanceWindow[], at: Date): boolean {
  return windows.length === 0 || windows.some((w) => openIn(w, at));
}

/** The first minute at or after `at` when a window is open (undefined if none within 8 days, i.e. never). */
export function nextOpening(windows: readonly MaintenanceWindow[], at: Date): Date | undefined {
  if (windowOpen(windows, at)) return at;
  const first = new Date(Math.ceil(at.getTime() / 60_000) * 60_000);
  for (let i = 0; i <= 8 * 24 * 60; i++) {
    const t = new Date(first.getTime() + i * 60_000);
    if (windowOpen(windows, t)) return t;
  }
  return undefined;
}

/** `sat,sun 02:00-04:00 Europe/Berlin` (days: sun..sat, or "daily") → a window; the error names the expected form. */
export function parseWindowSpec(spec: string): MaintenanceWindow {
  const m = /^\s*(\S+)\s+(\d\d:\d\d)-(\d\d:\d\d)\s+(\S+)\s*$/.exec(spec);
  const bad = () => new SkiffError('USAGE', `window "${spec.slice(0, 100)}" is not "DAYS HH:MM-HH:MM TIMEZONE", e.g. "sat,sun 02:00-04:00 Europe/Berlin"`);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) throw bad();
  const days = m[1].toLowerCase() === 'daily' ? [...WEEKDAYS] : m[1].toLowerCase().split(',');
  const [w] = parseWindows([{ days, start: m[2], end: m[3], timeZone: m[4] }], `window "${spec.slice(0, 100)}"`);
  if (!w) throw bad();
  return w;
}
