// The options every hub-talking command takes, and the client they make (the client itself lives in src/hub-client/).
import type { Command } from 'commander';
import type { HubClient } from '../hub-client/index.ts';

export function withHubOptions(cmd: Command): Command {
  return cmd
    .option('--hub <url>', 'hub URL, e.g. https://hub.example.com (or SKIFF_HUB)')
    .option('--token <token>', 'API token (or SKIFF_TOKEN)')
    .option('--hub-ca <file>', "PEM file of the CA that issued the hub's certificate, trusted besides the usual roots (or SKIFF_HUB_CA)");
}

/** What the commands call on the hub: HubClient's REST calls. */
export type HubCalls = Pick<HubClient, 'request' | 'get' | 'post'>;

/**
 * The hub client for these options. The client's modules (undici, TLS set-up) load on the first call, not when the
 * command is defined: `skiff <group> --help` starts without them.
 */
export function clientFrom(opts: { hub?: string; token?: string; hubCa?: string }): HubCalls {
  let client: Promise<HubClient> | undefined;
  const load = (): Promise<HubClient> =>
    (client ??= import('../hub-client/index-client.ts').then(({ HubClient, connectionFrom }) => new HubClient(connectionFrom(opts))));
  return {
    request: async <T>(method: Parameters<HubClient['request']>[0], path: string, body?: unknown) => (await load()).request<T>(method, path, body),
    get: async <T>(path: string) => (await load()).get<T>(path),
    post: async <T>(path: string, body?: unknown) => (await load()).post<T>(path, body),
  };
}

/** The connection for these options, its modules loaded now (for commands that stream files to or from the hub). */
export async function connectionOf(opts: { hub?: string; token?: string; hubCa?: string }): Promise<import('../hub-client/index-client.ts').HubConnection> {
  return (await import('../hub-client/index-client.ts')).connectionFrom(opts);
}
