// `skiff customer set-recipient|clear-recipient`: the age key a customer's bundles are encrypted to at the hub.
import type { Command } from 'commander';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string };

export function addRecipientCommands(customer: Command, out: Output): void {
  withHubOptions(customer.command('set-recipient <name> <recipient>'))
    .description("encrypt the customer's bundles (skiff bundle fetch, the connected agent) to its age X25519 key (age1…, from skiff bundle keygen)")
    .action((name: string, recipient: string, o: HubOpts) =>
      runAction(async () => {
        await clientFrom(o).request<unknown>('PUT', `/customers/${encodeURIComponent(name)}/recipient`, { recipient });
        out.write(`bundles for ${name} are now encrypted to ${recipient}\n`);
      }),
    );

  withHubOptions(customer.command('clear-recipient <name>'))
    .description("stop encrypting the customer's bundles")
    .action((name: string, o: HubOpts) =>
      runAction(async () => {
        await clientFrom(o).request<unknown>('DELETE', `/customers/${encodeURIComponent(name)}/recipient`);
        out.write(`bundles for ${name} are no longer encrypted\n`);
      }),
    );
}
