// The skiff command line: one program, a command group per concept; each group is a thin shell over a library.
// Only the group named on the command line is loaded, so a command starts without the hub's or agent's modules.
import { Command } from 'commander';
import { reportUsageErrors, runAction } from './run.ts';

const GROUPS: Record<string, () => Promise<Command>> = {
  trust: async () => (await import('./trust.ts')).trustCommand(),
  release: async () => (await import('./release.ts')).releaseCommand(),
  bundle: async () => (await import('./bundle.ts')).bundleCommand(),
  agent: async () => (await import('./agent.ts')).agentCommand(),
  hub: async () => (await import('./hub.ts')).hubCommand(),
  app: async () => (await import('./app.ts')).appCommand(),
  channel: async () => (await import('./channel.ts')).channelCommand(),
  customer: async () => (await import('./customer.ts')).customerCommand(),
  instance: async () => (await import('./instance.ts')).instanceCommand(),
  fleet: async () => (await import('./instance.ts')).fleetCommand(),
  values: async () => (await import('./values.ts')).valuesCommand(),
};

const program = new Command('skiff')
  .description('Ship containerized on-premises software: signed releases, verifiable bundles, health-gated upgrades with rollback.')
  .version('0.1.0')
  // Positional options: `release create --version X` is the release's version, not the program's `--version`.
  .enablePositionalOptions();

// Groups that throw instead of reporting themselves still end in one `skiff: <message>` line.
await runAction(async () => {
  const named = process.argv[2];
  const versionOnly = named === '--version' || named === '-V';
  const wanted = named !== undefined && named in GROUPS ? [named] : versionOnly ? [] : Object.keys(GROUPS);
  for (const name of wanted) program.addCommand(await GROUPS[name]!());
  reportUsageErrors(program);
  await program.parseAsync(process.argv);
});
