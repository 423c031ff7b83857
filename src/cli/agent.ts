// `skiff agent`: install, upgrade, roll back and report an app on this host's Docker Engine.
import { access } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { AgentStatus, SnapshotSettings } from '../agent/index.ts';
import { SkiffError, errorMessage, fsErrorMessage } from '../util/index.ts';
import { addAirgapCommands } from './agent-airgap.ts';
import { progressBar } from './progress.ts';
import { printJson, runAction } from './run.ts';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

/** The agent (engine client, Compose, image loading), loaded when a command runs: `agent --help` starts without it. */
const agentLib = () => import('../agent/index.ts');
/** The local commands' part of it (no connected agent, hub client or support bundles): a one-shot command starts sooner. */
const localLib = () => import('../agent/index-local.ts');

/**
 * The trust root an install reads first, checked before the agent library loads (~300 ms of CPU): a missing one fails
 * at once, in the library's words. (The bundle is not: without --trust, "no trusted root yet" must come first.)
 */
async function checkTrustFile(trust: string | undefined): Promise<void> {
  if (trust === undefined) return;
  await access(trust).catch((e: unknown) => {
    throw new SkiffError('NOT_FOUND', fsErrorMessage(e, 'the trust root') ?? `cannot read the trust root ${trust}: ${errorMessage(e)}`);
  });
}

// No commander defaults: they live in the agent library, which the command's definition does not load.
type SnapshotFlags = { snapshotBudget?: number; keepSnapshots?: number };
const snapshotSettings = (o: SnapshotFlags, defaults: SnapshotSettings): SnapshotSettings => ({
  budgetBytes: o.snapshotBudget === undefined ? defaults.budgetBytes : Math.floor(o.snapshotBudget * 2 ** 20),
  keep: o.keepSnapshots === undefined ? defaults.keep : Math.max(1, Math.floor(o.keepSnapshots)),
});

function printStatus(s: AgentStatus): void {
  if (!s.app) {
    process.stdout.write('nothing installed\n');
    return;
  }
  const lines = [`app       ${s.app}`, `release   ${s.current ? `${s.current.version} (${s.current.digest.slice(0, 19)}…, since ${s.current.installedAt})` : 'none'}`];
  if (s.previous) lines.push(`previous  ${s.previous.version} (kept for rollback)`);
  if (s.operation) lines.push(`operation ${s.operation.op} ${s.operation.from ?? '-'} → ${s.operation.to}: ${s.operation.phase} (interrupted? run skiff agent resume)`);
  if (s.trust) lines.push(`trust     root v${s.trust.rootVersion}, expires ${s.trust.rootExpires}, last verified ${s.trust.lastVerified}`);
  if (s.engine !== 'ok') lines.push(`engine    ${s.engine}`);
  for (const svc of s.services) lines.push(`  ${svc.service.padEnd(16)} ${svc.container.padEnd(28)} ${svc.release.padEnd(10)} ${svc.state} ${svc.health}`);
  const last = s.history.at(-1);
  if (last) lines.push(`last      ${last.at} ${last.event} ${last.from ?? ''}${last.to ? ` → ${last.to}` : ''}${last.detail ? `: ${last.detail}` : ''}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export function agentCommand(): Command {
  // Positional options: `snapshots --state` and `snapshots restore --state` are each their own command's option.
  const cmd = new Command('agent').description('install, upgrade and roll back an app on this host, health-gated').enablePositionalOptions();
  cmd
    .command('install')
    .description('verify a .skiff bundle and install or upgrade to it; rolls back by itself if the new release is not healthy')
    .argument('<bundle>', 'the .skiff file')
    .requiredOption('--state <dir>', "the agent's state directory (one per app)")
    .option('--trust <root.json>', "the vendor's root.json (required on the first install; pinned afterwards)")
    .option('--values <values.yaml>', 'site settings for the release (x-skiff.config); defaults to the installed ones. Given with the installed release, they are applied to it (health-gated, rolled back on failure)')
    .option('--identity <file>', "this site's age identity file (AGE-SECRET-KEY-1…), for a bundle encrypted to it")
    .option('--health-timeout <seconds>', 'longest wait for the services to become healthy', seconds, 120)
    .option('--stop-timeout <seconds>', 'grace period for a container to stop before it is killed', seconds, 10)
    .option('--snapshot-budget <MB>', 'disk the kept volume snapshots may use together (default: 10 GiB)', seconds)
    .option('--keep-snapshots <n>', 'how many volume snapshots to keep (default: 2)', seconds)
    .action((bundle: string, o: { state: string; trust?: string; values?: string; identity?: string; healthTimeout: number; stopTimeout: number } & SnapshotFlags) =>
      runAction(async () => {
        await checkTrustFile(o.trust);
        const { install, DEFAULT_SNAPSHOTS } = await localLib();
        const bar = progressBar('verifying');
        try {
          const r = await install({ stateDir: o.state, bundle, trustFile: o.trust, valuesFile: o.values, identityFile: o.identity, healthTimeoutMs: o.healthTimeout * 1000, stopTimeoutSec: o.stopTimeout, snapshots: snapshotSettings(o, DEFAULT_SNAPSHOTS), log, onProgress: (d, t) => bar.update(d, t) });
          bar.stop();
          process.stdout.write(
            r.outcome === 'unchanged'
              ? `${r.app}@${r.to} is already installed${o.values ? ' with these values' : ''}\n`
              : r.outcome === 'reconfigured'
                ? `${r.app}@${r.to}: new values applied, healthy\n`
                : `${r.app}: ${r.from ? `${r.from} → ` : ''}${r.to} ${r.outcome}, healthy\n`,
          );
        } finally {
          bar.stop();
        }
      }),
    );
  cmd
    .command('rollback')
    .description('return to the previous release (its images are kept, nothing is downloaded)')
    .requiredOption('--state <dir>', "the agent's state directory")
    .option('--health-timeout <seconds>', 'longest wait for the services to become healthy', seconds, 120)
    .option('--stop-timeout <seconds>', 'grace period for a container to stop before it is killed', seconds, 10)
    .action((o: { state: string; healthTimeout: number; stopTimeout: number }) =>
      runAction(async () => {
        const r = await (await localLib()).rollback({ stateDir: o.state, healthTimeoutMs: o.healthTimeout * 1000, stopTimeoutSec: o.stopTimeout, log });
        process.stdout.write(`${r.app}: rolled back ${r.from} → ${r.to}, healthy\n`);
      }),
    );
  cmd
    .command('resume')
    .description('finish an operation an interrupted agent left (every agent command also does this first)')
    .requiredOption('--state <dir>', "the agent's state directory")
    .option('--health-timeout <seconds>', 'longest wait for the services to become healthy', seconds, 120)
    .option('--stop-timeout <seconds>', 'grace period for a container to stop before it is killed', seconds, 10)
    .action((o: { state: string; healthTimeout: number; stopTimeout: number }) =>
      runAction(async () => {
        const { resume, agentStatus } = await localLib();
        await resume({ stateDir: o.state, healthTimeoutMs: o.healthTimeout * 1000, stopTimeoutSec: o.stopTimeout, log });
        printStatus(await agentStatus(o.state));
      }),
    );
  cmd
    .command('status')
    .description('the installed release, services and health, the operation in flight')
    .requiredOption('--state <dir>', "the agent's state directory")
    .option('--json', 'machine-readable output')
    .action((o: { state: string; json?: boolean }) =>
      runAction(async () => {
        const s = await (await import('../agent/index-status.ts')).agentStatus(o.state);
        if (o.json) printJson(s);
        else printStatus(s);
      }),
    );
  const snapshots = cmd
    .command('snapshots')
    .description('the volume snapshots kept with the releases (taken before each upgrade that may change them)')
    .enablePositionalOptions()
    // Not a required option: commander would then ask for it before `restore` too.
    .option('--state <dir>', "the agent's state directory")
    .option('--json', 'machine-readable output')
    .action((o: { state?: string; json?: boolean }) =>
      runAction(async () => {
        if (o.state === undefined) throw new SkiffError('USAGE', "required option '--state <dir>' not specified (see skiff agent snapshots --help)");
        const list = await (await localLib()).agentSnapshots(o.state);
        if (o.json) return printJson(list);
        if (list.length === 0) process.stdout.write('no snapshots\n');
        for (const s of list) process.stdout.write(`${s.id.padEnd(32)} data of ${s.release.padEnd(10)} before ${s.before.padEnd(10)} ${s.createdAt}  ${s.volumes.map((v) => `${v.name} ${Math.ceil(v.bytes / 1e6)} MB`).join(', ')}\n`);
      }),
    );
  snapshots
    .command('restore')
    .description('put a snapshot back by hand: the services that use its volumes stop, the volumes are restored, the services start again')
    .argument('<id>', 'the snapshot, as skiff agent snapshots lists it')
    .requiredOption('--state <dir>', "the agent's state directory")
    .option('--health-timeout <seconds>', 'longest wait for the services to become healthy', seconds, 120)
    .option('--stop-timeout <seconds>', 'grace period for a container to stop before it is killed', seconds, 10)
    .action((id: string, o: { state: string; healthTimeout: number; stopTimeout: number }) =>
      runAction(async () => {
        const s = await (await localLib()).restoreSnapshot({ stateDir: o.state, id, healthTimeoutMs: o.healthTimeout * 1000, stopTimeoutSec: o.stopTimeout, log });
        process.stdout.write(`restored ${s.volumes.map((v) => v.name).join(', ')} from ${s.id} (data of ${s.release}), healthy\n`);
      }),
    );
  cmd
    .command('run')
    .description('the connected agent: enroll once, then follow the hub (poll, download, install inside maintenance windows, report); one process can run several apps, one --state each')
    .requiredOption('--state <dir>', "the agent's state directory, one per app (repeatable: one agent process for several apps)", collect, [])
    .option('--hub <url>', 'the hub, e.g. https://hub.example.com (needed only to enroll)')
    .option('--enroll-token <token>', 'the token from skiff customer enroll-token (needed only to enroll; one --state)')
    .option('--hub-ca <file>', "PEM file of the CA that issued the hub's certificate, trusted besides the usual roots (or SKIFF_HUB_CA)")
    .option('--name <name>', 'the instance name shown at the hub (default: the host name)')
    .option('--once', 'run one poll cycle and exit')
    .option('--bandwidth <bytes-per-second>', 'limit download speed', seconds)
    .option('--identity <file>', "this site's age identity file (AGE-SECRET-KEY-1…), for bundles the hub encrypts to this customer's key")
    .option('--health-timeout <seconds>', 'longest wait for the services to become healthy', seconds, 120)
    .option('--stop-timeout <seconds>', 'grace period for a container to stop before it is killed', seconds, 10)
    .option('--snapshot-budget <MB>', 'disk the kept volume snapshots may use together (default: 10 GiB)', seconds)
    .option('--keep-snapshots <n>', 'how many volume snapshots to keep (default: 2)', seconds)
    .action((o: SnapshotFlags & { state: string[]; hub?: string; enrollToken?: string; hubCa?: string; name?: string; once?: boolean; bandwidth?: number; identity?: string; healthTimeout: number; stopTimeout: number }) =>
      runAction(async () => {
        if (o.enrollToken && o.state.length > 1) throw new SkiffError('USAGE', 'an enrollment token enrolls one instance: give one --state with --enroll-token, then run them together');
        const { runConnected, DEFAULT_SNAPSHOTS } = await agentLib();
        const stop = new AbortController();
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
        await Promise.all(
          o.state.map((stateDir) =>
            runConnected({
              stateDir,
              ...(o.hub ? { hub: o.hub } : {}),
              ...(o.enrollToken ? { enrollToken: o.enrollToken } : {}),
              ...(o.hubCa ? { hubCa: o.hubCa } : {}),
              ...(o.name ? { name: o.name } : {}),
              once: o.once === true,
              signal: stop.signal,
              log: o.state.length > 1 ? (line) => log(`[${stateDir}] ${line}`) : log,
              ...(o.bandwidth ? { bytesPerSecond: o.bandwidth } : {}),
              ...(o.identity ? { identityFile: o.identity } : {}),
              healthTimeoutMs: o.healthTimeout * 1000,
              stopTimeoutSec: o.stopTimeout,
              snapshots: snapshotSettings(o, DEFAULT_SNAPSHOTS),
            }),
          ),
        );
      }),
    );
  addAirgapCommands(cmd);
  return cmd;
}
