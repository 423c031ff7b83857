// The skiff command line: one program, a command group per concept; each group is a thin shell over a library.
import { Command } from 'commander';
import { trustCommand } from './trust.ts';
import { agentCommand } from './agent.ts';
import { releaseCommand } from './release.ts';
import { bundleCommand } from './bundle.ts';
import { hubCommand } from './hub.ts';
import { appCommand } from './app.ts';
import { channelCommand } from './channel.ts';
import { customerCommand } from './customer.ts';
import { runAction } from './run.ts';

const program = new Command('skiff')
  .description('Ship containerized on-premises software: signed releases, verifiable bundles, health-gated upgrades with rollback.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(`skiff: ${str.replace(/^error: /, '')}`) });

program.addCommand(trustCommand());
program.addCommand(agentCommand());
// Positional options: `release create --version X` is the release's version, not the program's `--version`.
program.enablePositionalOptions().addCommand(releaseCommand());
program.addCommand(bundleCommand());
program.addCommand(hubCommand());
program.addCommand(appCommand());
program.addCommand(channelCommand());
program.addCommand(customerCommand());

// Groups that throw instead of reporting themselves still end in one `skiff: <message>` line.
await runAction(async () => {
  await program.parseAsync(process.argv);
});
