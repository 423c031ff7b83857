// `skiff support-bundle`: work with a support bundle after it was written — redact it again, upload one carried by
// hand, ask a connected instance for one, list an instance's bundles at the hub.
import { Command } from 'commander';
import { clientFrom, connectionOf, withHubOptions } from './hub-options.ts';
import { printJson, runAction } from './run.ts';

type HubFlags = { hub?: string; token?: string; hubCa?: string };
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function supportBundleCommand(): Command {
  const cmd = new Command('support-bundle').description("an instance's logs and diagnostics, secrets redacted");
  cmd
    .command('redact')
    .description('run redaction again over an existing bundle (the common secret shapes, plus the secret values given)')
    .argument('<bundle.tar.gz>', 'a bundle skiff agent support-bundle wrote')
    .requiredOption('-o, --output <file>', 'the redacted bundle to write')
    .option('--state <dir>', "also hide the secret setting values of this agent's state directory")
    .option('--secret <value>', 'also hide this value (repeatable)', collect, [])
    .action((input: string, o: { output: string; state?: string; secret: string[] }) =>
      runAction(async () => {
        const spec = await (await import('../agent/index.ts')).redactExistingBundle(input, o.output, { ...(o.state ? { stateDir: o.state } : {}), secrets: o.secret });
        process.stdout.write(`wrote ${o.output} (redaction pass ${spec.redaction.length})\n`);
      }),
    );
  withHubOptions(
    cmd.command('upload').description('upload a bundle carried from a site, for its instance').argument('<bundle.tar.gz>', 'the bundle').requiredOption('--instance <id>', 'the instance it came from'),
  ).action((file: string, o: HubFlags & { instance: string }) =>
    runAction(async () => {
      const r = await (await import('../hub-client/index-client.ts')).uploadSupportBundle(await connectionOf(o), o.instance, file);
      process.stdout.write(`uploaded ${r.id} (${r.size} bytes) for instance ${r.instanceId}\n`);
    }),
  );
  withHubOptions(cmd.command('request').description('ask a connected instance for a support bundle (sent at its next poll)').requiredOption('--instance <id>', 'the instance')).action(
    (o: HubFlags & { instance: string }) =>
      runAction(async () => {
        await clientFrom(o).post(`/instances/${encodeURIComponent(o.instance)}/support-bundle-request`, {});
        process.stdout.write(`asked instance ${o.instance} for a support bundle\n`);
      }),
  );
  withHubOptions(cmd.command('list').description("an instance's support bundles at the hub").requiredOption('--instance <id>', 'the instance')).action((o: HubFlags & { instance: string }) =>
    runAction(async () => printJson(await clientFrom(o).get(`/instances/${encodeURIComponent(o.instance)}/support-bundles`))),
  );
  return cmd;
}
