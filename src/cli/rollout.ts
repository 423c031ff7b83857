// `skiff rollout create|list|status|pause|resume|cancel|retry`: staged rollouts at the hub; `status --watch` redraws
// each group's progress until the rollout finishes or is cancelled.
import { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloutCreateBody, RolloutView, RolloutsClient } from '../hub-client/index.ts';
import { SkiffError } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

type HubOpts = { hub?: string; token?: string; hubCa?: string };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `25%,25%,50` → groups by percentage or count. */
export function parseGroups(spec: string): RolloutCreateBody['groups'] {
  return spec.split(',').map((part) => {
    const m = /^\s*(\d+(?:\.\d+)?)(%?)\s*$/.exec(part);
    const n = Number(m?.[1]);
    if (!m || !(n > 0) || (m[2] === '' && !Number.isInteger(n)) || (m[2] === '%' && n > 100))
      throw new SkiffError('USAGE', `--groups "${spec}": "${part}" is neither a count (e.g. 50) nor a percentage (e.g. 25%); write e.g. --groups 5,25%,25%,50%`);
    return m[2] === '%' ? { percent: n } : { count: n };
  });
}

function share(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.endsWith('%') ? v.slice(0, -1) : v) / (v.endsWith('%') ? 100 : 1);
  if (!/^\d+(\.\d+)?%?$/.test(v) || n > 1) throw new SkiffError('USAGE', `${flag} "${v}" is not a share: write 0.9 or 90%`);
  return n;
}

function whole(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v)) throw new SkiffError('USAGE', `${flag} "${v}" is not a whole number`);
  return Number(v);
}

const bar = (done: number, failed: number, size: number, width = 24): string => {
  if (size === 0) return ' '.repeat(width);
  const ok = Math.round((done / size) * width);
  const bad = Math.min(width - ok, Math.round((failed / size) * width));
  return '#'.repeat(ok) + 'x'.repeat(bad) + '.'.repeat(width - ok - bad);
};

/** The rollout and one line per group, as `status` prints it. */
export function describeRollout(r: RolloutView): string {
  const lines = [`rollout ${r.id}  ${r.app}@${r.version}  ${r.state}${r.reason ? `: ${r.reason}` : ''}`];
  for (const g of r.groups) {
    const when = g.startedAt === null ? 'waiting' : g.succeededAt !== null ? `done ${g.succeededAt.slice(11, 19)}` : `started ${g.startedAt.slice(11, 19)}`;
    lines.push(`  group ${String(g.group).padStart(2)} [${bar(g.committed, g.failed, g.size)}] ${g.committed}/${g.size} committed, ${g.failed} failed, ${g.pending} pending  ${when}`);
  }
  return lines.join('\n') + '\n';
}

export function rolloutCommand(out: Output = process.stdout): Command {
  const rollout = new Command('rollout').description('staged rollouts of a release to the fleet, group by group');
  // The client's and parsers' modules load when a command runs, not for --help.
  const client = async (o: HubOpts): Promise<RolloutsClient> => new (await import('../hub-client/index-client.ts')).RolloutsClient(clientFrom(o));

  withHubOptions(rollout.command('create <app@version>'))
    .description('start a rollout: groups by count or percentage, each must meet the success threshold before the next starts')
    .requiredOption('--groups <list>', 'group sizes, counts or percentages, e.g. 25%,25%,25%,25% (the last takes the rest)')
    .option('--success <share>', 'share of a group committed before the next starts (default 1)')
    .option('--errors <share>', 'share of a group that may fail; one more pauses the rollout (default 0)')
    .option('--soak <seconds>', 'wait this long after a group met its threshold')
    .option('--gate <group>', 'after this group, wait for skiff rollout resume (repeatable)', collect, [])
    .option('--window <spec>', 'start groups only in this window, e.g. "mon,tue 02:00-04:00 Europe/Berlin" (repeatable)', collect, [])
    .option('--retries <n>', 'retry a failed instance this many times')
    .option('--backoff <seconds>', 'first retry after this long, doubling each time (default 60)')
    .option('--channel <name>', 'only instances following this channel')
    .option('--customer <name>', 'only this customer (repeatable)', collect, [])
    .option('--canary <instance-id>', 'these instances form group 1, before every other (repeatable)', collect, [])
    .option('--tag <key=value>', 'only instances with this tag (repeatable: all must match; skiff instance tag sets them)', collect, [])
    .option('--json', 'print JSON')
    .action((ref: string, o: HubOpts & { groups: string; success?: string; errors?: string; soak?: string; gate: string[]; window: string[]; retries?: string; backoff?: string; channel?: string; customer: string[]; canary: string[]; tag: string[]; json?: boolean }) =>
      runAction(async () => {
        const { app, version } = (await import('../release/index.ts')).parseAppVersion(ref);
        const fleet = await import('../fleet/index.ts');
        const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
        const body: RolloutCreateBody = {
          app, version, groups: parseGroups(o.groups),
          ...opt('successThreshold', share('--success', o.success)), ...opt('errorThreshold', share('--errors', o.errors)),
          ...opt('soakSeconds', whole('--soak', o.soak)), ...opt('retries', whole('--retries', o.retries)), ...opt('backoffSeconds', whole('--backoff', o.backoff)),
          ...(o.gate.length ? { gates: o.gate.map((g) => whole('--gate', g) ?? 0) } : {}),
          ...(o.window.length ? { windows: o.window.map(fleet.parseWindowSpec) } : {}),
          ...opt('channel', o.channel), ...(o.customer.length ? { customers: o.customer } : {}), ...(o.canary.length ? { canary: o.canary } : {}),
          ...(o.tag.length ? { tags: Object.fromEntries(o.tag.map((t) => fleet.parseTag(t, '--tag'))) } : {}),
        };
        const r = await (await client(o)).create(body);
        out.write(o.json ? JSON.stringify(r, null, 2) + '\n' : describeRollout(r));
      }),
    );

  withHubOptions(rollout.command('list'))
    .description('rollouts, newest first')
    .option('--app <name>', 'only this app')
    .option('--state <state>', 'only running, paused, cancelled or finished ones')
    .option('--json', 'print JSON')
    .action((o: HubOpts & { app?: string; state?: string; json?: boolean }) =>
      runAction(async () => {
        const list = await (await client(o)).list({ ...(o.app ? { app: o.app } : {}), ...(o.state ? { state: o.state } : {}) });
        if (o.json) return void out.write(JSON.stringify(list, null, 2) + '\n');
        const line = (r: RolloutView): string => {
          const started = r.groups.filter((g) => g.startedAt !== null).length;
          const committed = r.groups.reduce((s, g) => s + g.committed, 0);
          const size = r.groups.reduce((s, g) => s + g.size, 0);
          return `${r.id}  ${r.app}@${r.version}  ${r.state}  group ${started}/${r.groups.length}  ${committed}/${size} committed  ${r.createdAt}\n`;
        };
        out.write(list.length ? list.map(line).join('') : 'no rollouts\n');
      }),
    );

  withHubOptions(rollout.command('status <id>'))
    .description("a rollout and each group's progress")
    .option('--json', 'print JSON')
    .option('--watch', 'redraw until the rollout finishes or is cancelled')
    .option('--interval <seconds>', 'how often --watch looks (default 2)')
    .action((id: string, o: HubOpts & { json?: boolean; watch?: boolean; interval?: string }) =>
      runAction(async () => {
        const c = await client(o);
        const every = (whole('--interval', o.interval) ?? 2) * 1000;
        let last = '';
        for (;;) {
          const r = await c.get(id);
          const text = o.json ? JSON.stringify(r, null, 2) + '\n' : describeRollout(r);
          // On a terminal the frame is redrawn in place; elsewhere (a log) only a changed frame is printed.
          if (text !== last) out.write(o.watch && out.isTTY ? `\x1b[H\x1b[2J${text}` : text);
          last = text;
          if (!o.watch || r.state === 'finished' || r.state === 'cancelled') return;
          await sleep(Math.max(250, every));
        }
      }),
    );

  const command = (name: 'pause' | 'resume' | 'cancel', description: string): void => {
    const cmd = withHubOptions(rollout.command(`${name} <id>`)).description(description);
    if (name !== 'resume') cmd.option('--reason <text>', 'why (kept with the rollout and in the audit log)');
    cmd.action((id: string, o: HubOpts & { reason?: string }) =>
      runAction(async () => {
        const c = await client(o);
        const r = name === 'resume' ? await c.resume(id) : await c[name](id, o.reason);
        out.write(describeRollout(r));
      }),
    );
  };
  command('pause', 'pause a running rollout: no group starts, no retry runs');
  command('resume', 'resume a paused rollout (also past a gate)');
  command('cancel', 'stop scheduling: upgrades under way finish or roll back, groups not started stay where they are');

  withHubOptions(rollout.command('retry <id>'))
    .description('try failed instances again (each is told to install now, once); then skiff rollout resume a paused rollout')
    .option('--instance <id>', 'only this instance (repeatable)', collect, [])
    .action((id: string, o: HubOpts & { instance: string[] }) =>
      runAction(async () => {
        const { retried, rollout: r } = await (await client(o)).retry(id, o.instance);
        out.write(`retrying ${retried.length} instance(s)\n${describeRollout(r)}`);
      }),
    );

  return rollout;
}
