// `skiff customer create|list|show`: customers and their entitlements on the hub; create prints the customer token once.
import { Command } from 'commander';
import type { CustomerRecord } from '../hub/index.ts';
import { SkiffError } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';
import { addRecipientCommands } from './customer-recipient.ts';
import { addCustomerPolicyCommands } from './customer-policy.ts';
import { addCustomerUserCommands } from './customer-user.ts';

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
  return `${c.name}\t${c.airgapped ? 'air-gapped' : 'connected'}\t${ents || '(no entitlements)'}${c.recipient ? `\tbundles encrypted to ${c.recipient}` : ''}\n`;
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

  withHubOptions(customer.command('enroll-token <name>'))
    .description("make a token the customer's agents enroll with (skiff agent run --enroll-token); it names the app's root.json v1")
    .requiredOption('--app <app>', 'the app the instances run')
    .option('--uses <n>', 'how many instances may enroll with it', (v) => positiveInt(v, '--uses'), 1)
    .option('--expires <duration>', 'how long it stays valid, e.g. 30m, 24h, 7d', '24h')
    .action((name: string, o: HubOpts & { app: string; uses: number; expires: string }) =>
      runAction(async () => {
        const r = await clientFrom(o).post<{ token: string; expiresAt: string; uses: number }>(`/customers/${encodeURIComponent(name)}/enroll-tokens`, {
          app: o.app,
          uses: o.uses,
          expiresInSeconds: durationSeconds(o.expires),
        });
        out.write(`enrollment token for ${name} / ${o.app} (${r.uses} use${r.uses === 1 ? '' : 's'}, until ${r.expiresAt}):\n${r.token}\n`);
      }),
    );

  withHubOptions(customer.command('policy <name>'))
    .description("pin a customer's instances of an app to a version, and/or set their maintenance windows")
    .requiredOption('--app <app>', 'the app')
    .option('--pin <version>', 'stay on this version')
    .option('--unpin', 'follow the channel again')
    .option('--window <spec>', 'a weekly window "DAYS HH:MM-HH:MM TIMEZONE", e.g. "sat,sun 02:00-04:00 Europe/Berlin" (repeatable)', collect, [])
    .option('--no-windows', 'switch at any time')
    .action((name: string, o: HubOpts & { app: string; pin?: string; unpin?: boolean; window: string[]; windows: boolean }) =>
      runAction(async () => {
        const body = await policyBody(o);
        const r = await clientFrom(o).request<unknown>('PATCH', `/customers/${encodeURIComponent(name)}/apps/${encodeURIComponent(o.app)}/policy`, body);
        out.write(JSON.stringify(r, null, 2) + '\n');
      }),
    );

  addRecipientCommands(customer, out);
  addCustomerPolicyCommands(customer, out);
  addCustomerUserCommands(customer, out);
  return customer;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SkiffError('USAGE', `${flag} ${v} is not a whole number of at least 1`);
  return n;
}

/** `30m`, `24h`, `7d` → seconds. */
export function durationSeconds(v: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(v.trim());
  if (!m) throw new SkiffError('USAGE', `--expires ${v} is not a duration like 30m, 24h or 7d`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** The policy body of --pin/--unpin/--window/--no-windows; something must be asked. */
export async function policyBody(o: { pin?: string; unpin?: boolean; window: string[]; windows: boolean }): Promise<{ pinnedVersion?: string | null; windows?: unknown[] }> {
  // The fleet library loads only when a window is given: `skiff customer --help` starts without it.
  const parseWindowSpec = o.window.length > 0 ? (await import('../fleet/index.ts')).parseWindowSpec : undefined;
  const body = {
    ...(o.pin !== undefined ? { pinnedVersion: o.pin } : o.unpin ? { pinnedVersion: null } : {}),
    ...(parseWindowSpec ? { windows: o.window.map(parseWindowSpec) } : o.windows === false ? { windows: [] } : {}),
  };
  if (Object.keys(body).length === 0) throw new SkiffError('USAGE', 'nothing to change: pass --pin, --unpin, --window or --no-windows');
  return body;
}
