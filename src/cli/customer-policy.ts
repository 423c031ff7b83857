// `skiff customer notes|approval|approve|notify`: release notes a customer sees, upgrade approval, and its notification
// opt-in and e-mail contacts (added to `skiff customer`).
import type { Command } from 'commander';
import { SkiffError } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string };
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const q = encodeURIComponent;

function onOff(flag: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'on' || v === 'off') return v === 'on';
  throw new SkiffError('USAGE', `${flag} "${v}" is not on or off`);
}

interface Notes {
  from: string | null;
  to: string | null;
  notes: { version: string; changelog: string; createdAt: string }[];
}

export function addCustomerPolicyCommands(customer: Command, out: Output): void {
  withHubOptions(customer.command('notes <name>'))
    .description("the release notes between what the customer's instances run (or --from) and what its channel offers")
    .requiredOption('--app <app>', 'the app')
    .option('--from <version>', 'start above this version instead of what runs')
    .option('--json', 'print JSON')
    .action((name: string, o: HubOpts & { app: string; from?: string; json?: boolean }) =>
      runAction(async () => {
        const n = await clientFrom(o).get<Notes>(`/apps/${q(o.app)}/notes?customer=${q(name)}${o.from ? `&from=${q(o.from)}` : ''}`);
        if (o.json) return void out.write(JSON.stringify(n, null, 2) + '\n');
        out.write(`${o.app} for ${name}: ${n.from ?? '(nothing)'} → ${n.to ?? '(nothing offered)'}\n`);
        if (n.notes.length === 0) out.write('no newer releases\n');
        for (const r of n.notes) out.write(`\n## ${r.version}\n${r.changelog.trim() || '(no notes)'}\n`);
      }),
    );

  withHubOptions(customer.command('approval <name>'))
    .description("require (or stop requiring) the customer's approval before its instances upgrade; without a flag, show it")
    .requiredOption('--app <app>', 'the app')
    .option('--require <on|off>', 'on: every upgrade waits for the customer to approve it')
    .action((name: string, o: HubOpts & { app: string; require?: string }) =>
      runAction(async () => {
        const path = `/customers/${q(name)}/apps/${q(o.app)}/approval`;
        const required = onOff('--require', o.require);
        const r = required === undefined ? await clientFrom(o).get<unknown>(path) : await clientFrom(o).request<unknown>('PUT', path, { required });
        out.write(JSON.stringify(r, null, 2) + '\n');
      }),
    );

  withHubOptions(customer.command('approve'))
    .description("approve upgrading to a version (with the customer's token; a vendor names the customer with --customer)")
    .requiredOption('--app <app>', 'the app')
    .requiredOption('--version <version>', 'the version (upgrades up to it are approved)')
    .option('--customer <name>', 'the customer (vendor tokens)')
    .action((o: HubOpts & { app: string; version: string; customer?: string }) =>
      runAction(async () => {
        await clientFrom(o).post(`/apps/${q(o.app)}/approvals`, { version: o.version, ...(o.customer ? { customer: o.customer } : {}) });
        out.write(`approved ${o.app} up to ${o.version}\n`);
      }),
    );

  withHubOptions(customer.command('notify <name>'))
    .description('opt the customer in or out of notifications about it, and set its e-mail contacts')
    .option('--webhooks <on|off>', "send this customer's events to its webhook endpoints")
    .option('--email <on|off>', 'e-mail its contacts when a release reaches its channel')
    .option('--contact <address>', 'an e-mail contact (repeatable; replaces the list)', collect, [])
    .action((name: string, o: HubOpts & { webhooks?: string; email?: string; contact: string[] }) =>
      runAction(async () => {
        const body = {
          ...(o.webhooks !== undefined ? { webhooks: onOff('--webhooks', o.webhooks) } : {}),
          ...(o.email !== undefined ? { email: onOff('--email', o.email) } : {}),
          ...(o.contact.length > 0 ? { contacts: o.contact } : {}),
        };
        const path = `/customers/${q(name)}/notifications`;
        const r = Object.keys(body).length === 0 ? await clientFrom(o).get<unknown>(path) : await clientFrom(o).request<unknown>('PUT', path, body);
        out.write(JSON.stringify(r, null, 2) + '\n');
      }),
    );
}
