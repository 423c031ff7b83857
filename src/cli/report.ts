// `skiff report adoption --app A [--csv|--json]`: an app's delivery report from the hub (the CSV is the hub's one table).
import { Command } from 'commander';
import type { AdoptionReport } from '../fleet/index.ts';
import { SkiffError } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

const duration = (s: number | undefined): string => (s === undefined ? '-' : s < 3600 ? `${Math.round(s / 60)}m` : s < 172_800 ? `${(s / 3600).toFixed(1)}h` : `${(s / 86_400).toFixed(1)}d`);

function columns(head: string[], rows: string[][]): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  return [head, ...rows].map((r) => r.map((v, c) => v.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

function text(r: AdoptionReport): string {
  const versions = columns(['VERSION', 'INSTANCES', 'RELEASED', 'TO 50%', 'TO 90%'], r.versions.map((v) => [v.version, String(v.instances), v.releasedAt ?? '-', duration(v.adoption50?.seconds), duration(v.adoption90?.seconds)]));
  const customers = columns(['CUSTOMER', 'INSTANCES', 'VERSIONS', 'BEHIND HEAD', 'FAILED UPGRADES'], r.customers.map((c) => [
    c.customer, String(c.instances), Object.entries(c.versions).map(([v, n]) => `${v}:${n}`).join(' '), Object.entries(c.behind).map(([b, n]) => `${b}:${n}`).join(' '), String(c.failedUpgrades),
  ]));
  const failed = r.failedUpgrades.map((f) => `${f.at}  ${f.customer}/${f.instance}  ${f.version}  ${f.reason}\n`).join('');
  return `app ${r.app}: ${r.instances} instances\n\n${versions}\n${customers}${failed ? `\nfailed upgrades:\n${failed}` : ''}`;
}

export function reportCommand(out: Output = process.stdout): Command {
  const report = new Command('report').description('delivery reports from the hub');
  withHubOptions(report.command('adoption'))
    .description('per app: instances per version, versions behind, time to 50 % / 90 % adoption, failed upgrades with reasons, per customer')
    .requiredOption('--app <app>', 'the app')
    .option('--csv', 'print CSV (one row per customer and version)')
    .option('--json', 'print JSON')
    .action((o: { hub?: string; token?: string; hubCa?: string; app: string; csv?: boolean; json?: boolean }) =>
      runAction(async () => {
        if (o.csv && o.json) throw new SkiffError('USAGE', 'give --csv or --json, not both');
        const r = await clientFrom(o).get<AdoptionReport>(`/reports/adoption?app=${encodeURIComponent(o.app)}`);
        out.write(o.json ? JSON.stringify(r, null, 2) + '\n' : o.csv ? (await import('../fleet/index.ts')).adoptionCsv(r) : text(r));
      }),
    );
  return report;
}
