// `skiff channel promote|demote|list`: move releases in and out of an app's channels on the hub.
import { Command } from 'commander';
import { clientFrom, withHubOptions } from './hub-options.ts';
import { runAction } from './run.ts';
import { channelPolicyCommand } from './gates.ts';

interface Output {
  write(text: string): unknown;
}

type HubOpts = { hub?: string; token?: string };

interface ChannelView {
  name: string;
  releases: { version: string; required: boolean }[];
}

const describe = (c: ChannelView): string =>
  `${c.name}: ${c.releases.map((r) => (r.required ? `${r.version} (required)` : r.version)).join(', ') || '(empty)'}\n`;

// Libraries load when a command runs, not when it is defined: `skiff channel --help` starts without them.
const releaseLib = () => import('../release/index.ts');

export function channelCommand(out: Output = process.stdout): Command {
  const channel = new Command('channel').description("an app's release channels on the hub");

  withHubOptions(channel.command('promote <app@version> <channel>'))
    .description('add a release to a channel (created if new)')
    .option('--required', 'customers may not skip this release')
    .action((ref: string, name: string, o: HubOpts & { required?: boolean }) =>
      runAction(async () => {
        const { app, version } = (await releaseLib()).parseAppVersion(ref);
        const c = await clientFrom(o).post<ChannelView>(`/apps/${encodeURIComponent(app)}/channels/${encodeURIComponent(name)}/releases`, {
          version,
          required: o.required === true,
        });
        out.write(describe(c));
      }),
    );

  withHubOptions(channel.command('demote <app@version> <channel>'))
    .description('remove a release from a channel')
    .action((ref: string, name: string, o: HubOpts) =>
      runAction(async () => {
        const { app, version } = (await releaseLib()).parseAppVersion(ref);
        const path = `/apps/${encodeURIComponent(app)}/channels/${encodeURIComponent(name)}/releases/${encodeURIComponent(version)}`;
        out.write(describe(await clientFrom(o).request<ChannelView>('DELETE', path)));
      }),
    );

  withHubOptions(channel.command('list <app>'))
    .description("list an app's channels")
    .option('--json', 'print JSON')
    .action((app: string, o: HubOpts & { json?: boolean }) =>
      runAction(async () => {
        const { channels } = await clientFrom(o).get<{ channels: ChannelView[] }>(`/apps/${encodeURIComponent(app)}/channels`);
        out.write(o.json ? JSON.stringify(channels, null, 2) + '\n' : channels.map(describe).join(''));
      }),
    );

  channel.addCommand(channelPolicyCommand(out));
  return channel;
}
