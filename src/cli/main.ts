// The skiff command line: one program, a command group per concept; each group is a thin shell over a library.
// Only the group named on the command line is loaded, so a command starts without the hub's or agent's modules.
import type { Command } from 'commander';
import type { SkiffError } from '../util/index.ts';

const VERSION = '0.1.0';
// `skiff --version` answers before any module loads (commander included): the cheapest start there is.
if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
  process.exit(0);
}
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
  rollout: async () => (await import('./rollout.ts')).rolloutCommand(),
  logs: async () => (await import('./logs.ts')).logsCommand(),
  alerts: async () => (await import('./alerts.ts')).alertsCommand(),
  report: async () => (await import('./report.ts')).reportCommand(),
  'support-bundle': async () => (await import('./support-bundle.ts')).supportBundleCommand(),
  webhook: async () => (await import('./webhook.ts')).webhookCommand(),
};

/** A group, or why this install has none: the agent image leaves the hub's packages (better-sqlite3, pg) out. */
async function loadGroup(name: string): Promise<Command | SkiffError> {
  try {
    return await GROUPS[name]!();
  } catch (e) {
    const missing = (await import('./run.ts')).notPartOfInstall(name, e);
    if (!missing) throw e;
    return missing;
  }
}

const named = process.argv[2];
const versionOnly = named === '--version' || named === '-V';
const wanted = named !== undefined && named in GROUPS ? [named] : versionOnly ? [] : Object.keys(GROUPS);
// The groups load alongside commander and the CLI's plumbing, not after them: one round of module loading fewer.
// (A failure is reported below, in order, through runAction.)
const groups = wanted.map(loadGroup);
for (const g of groups) g.catch(() => undefined);
const [{ Command: CommandClass }, { SkiffError: SkiffErrorClass }, { reportUsageErrors, runAction }] = await Promise.all([import('commander'), import('../util/index.ts'), import('./run.ts')]);

const program = new CommandClass('skiff')
  .description('Ship containerized on-premises software: signed releases, verifiable bundles, health-gated upgrades with rollback.')
  .version(VERSION)
  // Positional options: `release create --version X` is the release's version, not the program's `--version`.
  .enablePositionalOptions();

// Groups that throw instead of reporting themselves still end in one `skiff: <message>` line.
await runAction(async () => {
  for (const loading of groups) {
    const group = await loading;
    // Asked for by name, a missing group is the error; listed in the help, it is left out.
    if (group instanceof SkiffErrorClass && wanted.length === 1) throw group;
    if (group instanceof CommandClass) program.addCommand(group);
  }
  reportUsageErrors(program);
  await program.parseAsync(process.argv);
});
