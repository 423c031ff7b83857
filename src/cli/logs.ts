// `skiff logs`: the log lines the hub has from an instance (or all one may see), filtered, optionally followed.
import { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

interface Line {
  at: string;
  instanceId: string;
  stream: string;
  seq: number;
  service: string;
  source: string;
  level: string;
  message: string;
}

type LogsOpts = { hub?: string; token?: string; hubCa?: string; instance?: string; service?: string; level?: string; since?: string; until?: string; grep?: string; limit?: string; follow?: boolean; json?: boolean };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const FOLLOW_EVERY_MS = 2000;

/** `--since 1h` (ago) or an ISO 8601 time, as an ISO time; USAGE naming the flag otherwise. */
export function timeFlag(flag: string, text: string, now = Date.now()): string {
  const rel = /^(\d+)(s|m|h|d)$/.exec(text);
  if (rel) return new Date(now - Number(rel[1]) * (UNIT_MS[rel[2] ?? 's'] ?? 0)).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text).toISOString();
  throw new SkiffError('USAGE', `${flag} "${text}" is neither a duration ago (30s, 15m, 1h, 2d) nor an ISO 8601 time (2026-11-30T10:00:00Z)`);
}

function query(o: LogsOpts, since: string | undefined): string {
  if (o.instance !== undefined && !UUID.test(o.instance)) throw new SkiffError('USAGE', `--instance "${o.instance}" is not an instance id: skiff fleet lists them`);
  if (o.limit !== undefined && !/^[1-9]\d{0,3}$/.test(o.limit)) throw new SkiffError('USAGE', `--limit "${o.limit}" must be a whole number from 1 to 9999`);
  const q = new URLSearchParams();
  const set = (k: string, v: string | undefined): void => void (v !== undefined && q.set(k, v));
  set('instance', o.instance);
  set('service', o.service);
  set('level', o.level);
  set('since', since);
  set('until', o.until === undefined ? undefined : timeFlag('--until', o.until));
  set('q', o.grep);
  set('limit', o.limit ?? '1000');
  return q.toString();
}

function format(l: Line, json: boolean, showInstance: boolean): string {
  if (json) return `${JSON.stringify(l)}\n`;
  return `${l.at} ${showInstance ? `${l.instanceId.slice(0, 8)} ` : ''}${l.service}[${l.source}] ${l.level.toUpperCase().padEnd(5)} ${l.message}\n`;
}

export async function showLogs(o: LogsOpts, out: Output, signal?: AbortSignal): Promise<void> {
  const client = clientFrom(o);
  let since = o.since === undefined ? undefined : timeFlag('--since', o.since);
  // Lines at the last time seen are asked for again when following; these keys keep them from printing twice.
  let seen = new Set<string>();
  for (;;) {
    const { lines } = await client.get<{ lines: Line[] }>(`/logs?${query(o, since)}`);
    const fresh = lines.filter((l) => !seen.has(`${l.instanceId}/${l.stream}/${l.seq}`));
    for (const l of fresh) out.write(format(l, o.json ?? false, o.instance === undefined));
    if (!o.follow || signal?.aborted) return;
    const last = lines.at(-1)?.at;
    if (last !== undefined) {
      if (last !== since) seen = new Set();
      since = last;
      for (const l of lines) if (l.at === last) seen.add(`${l.instanceId}/${l.stream}/${l.seq}`);
    }
    await sleep(FOLLOW_EVERY_MS, undefined, { signal }).catch(() => undefined);
    if (signal?.aborted) return;
  }
}

export function logsCommand(out: Output = process.stdout): Command {
  return withHubOptions(new Command('logs'))
    .description("search the log lines the hub has from the agents (a customer token sees its own instances')")
    .option('--instance <id>', 'only this instance (its id, from skiff fleet)')
    .option('--service <name>', 'only this Compose service')
    .option('--level <level>', 'error, warn, info or debug')
    .option('--since <when>', 'from this long ago (30s, 15m, 1h, 2d) or this ISO 8601 time')
    .option('--until <when>', 'up to this long ago or this time')
    .option('--grep <text>', 'only lines containing this text (case-insensitive)')
    .option('--limit <n>', 'the newest n lines (default 1000)')
    .option('--follow', 'keep printing new lines as they arrive')
    .option('--json', 'one JSON object per line')
    .action((o: LogsOpts) => runAction(() => showLogs(o, out)));
}
