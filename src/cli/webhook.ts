// `skiff webhook add|list|remove|deliveries|redeliver`: the hub's webhook endpoints and their delivery log.
import { Command } from 'commander';
import { SkiffError } from '../util/index.ts';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string; json?: boolean };

interface Hook {
  id: string;
  url: string;
  events: string[];
  customer: string | null;
  secret?: string;
}

interface Delivery {
  id: string;
  event: string;
  state: string;
  attempts: number;
  createdAt: string;
  log: { at: string; status: number | null; durationMs: number; error: string | null }[];
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const checkedId = (id: string, what: string): string => {
  if (!ID.test(id)) throw new SkiffError('USAGE', `${what} "${id}" is not an id like 0b5f…-…; skiff webhook list shows them`);
  return id;
};
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function webhookCommand(out: Output = process.stdout): Command {
  const webhook = new Command('webhook').description('webhook endpoints the hub signs and sends events to, and their deliveries');

  withHubOptions(webhook.command('add <url>'))
    .description('add an endpoint and print its signing secret (shown once)')
    .option('--event <type>', 'only this event (repeatable): release.published, instance.failed, instance.silent, rollout.started|paused|finished, alert.firing|resolved', collect, [])
    .option('--customer <name>', "only this customer's events (sent when the customer opted in)")
    .action((url: string, o: HubOpts & { event: string[]; customer?: string }) =>
      runAction(async () => {
        const h = await clientFrom(o).post<Hook>('/webhooks', { url, ...(o.event.length > 0 ? { events: o.event } : {}), ...(o.customer ? { customer: o.customer } : {}) });
        out.write(`webhook ${h.id} → ${h.url} (${h.events.join(', ')})\nsigning secret (shown once): ${h.secret ?? ''}\n`);
      }),
    );

  withHubOptions(webhook.command('list'))
    .description('list the endpoints (never their secrets)')
    .option('--json', 'print JSON')
    .action((o: HubOpts) =>
      runAction(async () => {
        const { webhooks } = await clientFrom(o).get<{ webhooks: Hook[] }>('/webhooks');
        if (o.json) return void out.write(JSON.stringify(webhooks, null, 2) + '\n');
        for (const h of webhooks) out.write(`${h.id}\t${h.url}\t${h.events.join(',')}\t${h.customer ?? '(all customers)'}\n`);
      }),
    );

  withHubOptions(webhook.command('remove <id>'))
    .description('remove an endpoint')
    .action((id: string, o: HubOpts) =>
      runAction(async () => {
        await clientFrom(o).request('DELETE', `/webhooks/${checkedId(id, 'webhook')}`);
        out.write(`webhook ${id} removed\n`);
      }),
    );

  withHubOptions(webhook.command('deliveries <id>'))
    .description("an endpoint's deliveries, newest first, with every attempt (status, duration, error)")
    .option('--json', 'print JSON')
    .action((id: string, o: HubOpts) =>
      runAction(async () => {
        const { deliveries } = await clientFrom(o).get<{ deliveries: Delivery[] }>(`/webhooks/${checkedId(id, 'webhook')}/deliveries`);
        if (o.json) return void out.write(JSON.stringify(deliveries, null, 2) + '\n');
        for (const d of deliveries) {
          out.write(`${d.id}\t${d.event}\t${d.state}\t${d.attempts} attempt${d.attempts === 1 ? '' : 's'}\t${d.createdAt}\n`);
          for (const a of d.log) out.write(`  ${a.at}\t${a.status ?? '-'}\t${a.durationMs} ms${a.error ? `\t${a.error}` : ''}\n`);
        }
      }),
    );

  withHubOptions(webhook.command('redeliver <delivery>'))
    .description('send a delivery again now')
    .action((id: string, o: HubOpts) =>
      runAction(async () => {
        await clientFrom(o).post(`/deliveries/${checkedId(id, 'delivery')}/redeliver`);
        out.write(`delivery ${id} queued again\n`);
      }),
    );

  return webhook;
}
