// `skiff alerts`: the alerts the hub evaluated (instance unhealthy, silent, upgrade failed), firing first.
import { Command } from 'commander';
import { SkiffError } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

interface AlertView {
  alertname: string;
  state: string;
  since: string;
  resolvedAt: string | null;
  instanceId: string;
  instance: string;
  customer: string;
  app: string;
  detail: Record<string, unknown>;
}

function table(list: readonly AlertView[]): string {
  const head = ['STATE', 'ALERT', 'CUSTOMER', 'INSTANCE', 'APP', 'SINCE', 'DETAIL'];
  const rows = list.map((a) => [a.state, a.alertname, a.customer, `${a.instance} (${a.instanceId.slice(0, 8)})`, a.app, a.state === 'firing' ? a.since : `${a.since} → ${a.resolvedAt ?? ''}`, JSON.stringify(a.detail)]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  return [head, ...rows].map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

export function alertsCommand(out: Output = process.stdout): Command {
  return withHubOptions(new Command('alerts'))
    .description('alerts the hub evaluated for the fleet: instance unhealthy, silent, upgrade failed')
    .option('--state <state>', 'only firing or resolved alerts')
    .option('--json', 'print JSON')
    .action((o: { hub?: string; token?: string; hubCa?: string; state?: string; json?: boolean }) =>
      runAction(async () => {
        if (o.state !== undefined && o.state !== 'firing' && o.state !== 'resolved') throw new SkiffError('USAGE', `--state "${o.state}" is not firing or resolved`);
        const { alerts } = await clientFrom(o).get<{ alerts: AlertView[] }>(`/alerts${o.state ? `?state=${o.state}` : ''}`);
        const sorted = [...alerts].sort((a, b) => (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1));
        if (o.json) out.write(JSON.stringify(sorted, null, 2) + '\n');
        else out.write(sorted.length === 0 ? 'no alerts\n' : table(sorted));
      }),
    );
}
