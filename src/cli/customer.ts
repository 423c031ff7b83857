// `skiff customer create|list|show`: customers and their entitlements on the hub; create prints the customer token once.
import { Command } from 'commander';
import type { CustomerRecord } from '../hub/db/types.ts';
import { SkiffError } from '../util/errors.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string };

/** `netmon:stable` → an entitlement. */
export function parseEntitlement(value: string, expiresAt: string | null): { app: string; channel: string; expiresAt: string | null } {
  const [app, channel, extra] = value.split(':');
  if (!app || !channel || extra !== undefined) throw new SkiffError('USAGE', `--entitle "${value}" is not APP:CHANNEL, e.g. netmon:stable`);
  return { app, channel, expiresAt };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function describe(c: CustomerRecord): string {
  const ents = c.entitlements.map((e) => `${e.app}:${e.channel}${e.expiresAt ? ` (until ${e.expiresAt})` : ''}`).join(', ');
  return `${c.name}\t${c.airgapped ? 'air-gapped' : 'connected'}\t${ents || '(no entitlements)'}\n`;
}

export function customerCommand(out: Output = process.stdout): Command {
  const customer = new Command('customer').description('customers and their entitlements on the hub');

  withHubOptions(customer.command('create <name>'))
    .description('create a customer and print its token (shown once)')
    .option('--entitle <app:channel>', 'entitle to an app channel (repeatable)', collect, [])
    .option('--expires <date>', 'entitlements end on this date (YYYY-MM-DD)')
    .option('--airgapped', 'the customer receives bundles, not connected updates')
    .action((name: string, o: HubOpts & { entitle: string[]; expires?: string; airgapped?: boolean }) =>
      runAction(async () => {
        const entitlements = o.entitle.map((v) => parseEntitlement(v, o.expires ?? null));
        const r = await clientFrom(o).post<{ customer: CustomerRecord; token: string }>('/customers', {
          name,
          entitlements,
          airgapped: o.airgapped === true,
        });
        out.write(describe(r.customer));
        out.write(`customer token: ${r.token}   (shown once)\n`);
      }),
    );

  withHubOptions(customer.command('list'))
    .description('list customers')
    .option('--json', 'print JSON')
    .action((o: HubOpts & { json?: boolean }) =>
      runAction(async () => {
        const { customers } = await clientFrom(o).get<{ customers: CustomerRecord[] }>('/customers');
        out.write(o.json ? JSON.stringify(customers, null, 2) + '\n' : customers.map(describe).join(''));
      }),
    );

  withHubOptions(customer.command('show <name>'))
    .description('show one customer')
    .option('--json', 'print JSON')
    .action((name: string, o: HubOpts & { json?: boolean }) =>
      runAction(async () => {
        const c = await clientFrom(o).get<CustomerRecord>(`/customers/${encodeURIComponent(name)}`);
        out.write(o.json ? JSON.stringify(c, null, 2) + '\n' : describe(c));
      }),
    );

  return customer;
}
