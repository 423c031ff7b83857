// The options every hub-talking command takes, and the client they make (the client itself lives in src/hub-client/).
import type { Command } from 'commander';
import { HubClient, connectionFrom } from '../hub-client/index.ts';

export function withHubOptions(cmd: Command): Command {
  return cmd
    .option('--hub <url>', 'hub URL, e.g. https://hub.example.com (or SKIFF_HUB)')
    .option('--token <token>', 'API token (or SKIFF_TOKEN)')
    .option('--hub-ca <file>', "PEM file of the CA that issued the hub's certificate, trusted besides the usual roots (or SKIFF_HUB_CA)");
}

export function clientFrom(opts: { hub?: string; token?: string; hubCa?: string }): HubClient {
  return new HubClient(connectionFrom(opts));
}
