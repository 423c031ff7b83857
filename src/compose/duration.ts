// Compose durations ('1m30s', '500ms', '2h') to nanoseconds, the unit of the Engine API's health check fields.
import { SyntaxIssue } from './issues.ts';

const NS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** Go's time.ParseDuration grammar without signs: a sequence of number+unit, or a bare 0. */
export function parseDuration(text: string): number {
  const hint = `is not a duration: write a number and a unit (ns, us, ms, s, m, h), e.g. '30s' or '1m30s'`;
  if (text === '0') return 0;
  if (text === '') throw new SyntaxIssue(hint);
  let rest = text;
  let total = 0;
  while (rest !== '') {
    const match = PART.exec(rest);
    if (match === null) throw new SyntaxIssue(hint);
    const [whole, amount = '', unit = ''] = match;
    total += Number(amount) * (NS_PER_UNIT[unit] ?? Number.NaN);
    rest = rest.slice(whole.length);
  }
  const ns = Math.round(total);
  if (!Number.isSafeInteger(ns)) throw new SyntaxIssue('is too long a duration');
  return ns;
}
