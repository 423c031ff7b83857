// `skiff trust`: create, rotate and show the vendor's trust directory (root.json chain and signing keys).
import { Command, InvalidArgumentError } from 'commander';
import type { RootMeta, TrustDir } from '../trust/index.ts';

/** Loaded when a command runs: `skiff trust --help` starts without zod and the key code. */
const trustLib = () => import('../trust/index.ts');

interface Output {
  write(text: string): unknown;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive number of days, e.g. 365');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

const short = (keyids: readonly string[]): string => keyids.map((k) => k.slice(0, 8)).join(', ');

function describe(root: RootMeta): string {
  const { version, expires, roles } = root.signed;
  return [
    `root.json version ${version}, expires ${expires}`,
    `  root keys (threshold ${roles.root.threshold}): ${short(roles.root.keyids)}`,
    `  release keys (threshold ${roles.release.threshold}): ${short(roles.release.keyids)}`,
    roles.timestamp
      ? `  timestamp key (held by the hub, signs desired state): ${short(roles.timestamp.keyids)}`
      : '  no timestamp key: connected agents cannot follow this app; add one with skiff trust rotate --timestamp',
  ].join('\n');
}

function showJson(trust: TrustDir): string {
  const { version, expires, roles } = trust.root.signed;
  return JSON.stringify({ dir: trust.dir, version, expires, chain: trust.chain.length, roles }, null, 2);
}

function revokedBy(before: RootMeta, after: RootMeta): string[] {
  return before.signed.roles.release.keyids.filter((k) => !after.signed.roles.release.keyids.includes(k));
}

export function trustCommand(out: Output = process.stdout): Command {
  const trust = new Command('trust').description(
    "manage the vendor's trust root: root.json chain and signing keys",
  );

  trust
    .command('init')
    .description('create a trust dir: root, release and timestamp keys and root.json version 1')
    .requiredOption('--dir <dir>', 'trust directory to create')
    .option('--expires-days <n>', 'days until root.json expires', positiveNumber, 365)
    .option('--release-threshold <n>', 'release keys required to sign a release', positiveInteger, 1)
    .action(async (opts: { dir: string; expiresDays: number; releaseThreshold: number }) => {
      const { initTrust } = await trustLib();
      const created = await initTrust(opts.dir, {
        expiresDays: opts.expiresDays,
        releaseThreshold: opts.releaseThreshold,
      });
      out.write(`created ${opts.dir}\n${describe(created.root)}\n`);
      out.write(`keep ${opts.dir}/keys private and backed up; give agents and hubs ${opts.dir}/root.json\n`);
    });

  trust
    .command('rotate')
    .description('write the next root.json with new keys, signed by the old and the new root keys')
    .requiredOption('--dir <dir>', 'trust directory')
    .option('--no-root', 'keep the current root key')
    .option('--no-release', 'keep the current release key (otherwise it is replaced and revoked)')
    .option('--timestamp', 'replace the timestamp key the hub holds (one is added anyway when the root has none)')
    .option('--expires-days <n>', 'days until the new root.json expires', positiveNumber, 365)
    .action(async (opts: { dir: string; root: boolean; release: boolean; timestamp?: boolean; expiresDays: number }) => {
      const { loadTrustDir, rotateTrust } = await trustLib();
      const before = await loadTrustDir(opts.dir);
      const after = await rotateTrust(opts.dir, {
        root: opts.root,
        release: opts.release,
        timestamp: opts.timestamp === true,
        expiresDays: opts.expiresDays,
      });
      out.write(`rotated ${opts.dir}\n${describe(after.root)}\n`);
      const revoked = revokedBy(before.root, after.root);
      if (revoked.length > 0) out.write(`  revoked release keys: ${short(revoked)}\n`);
      out.write(
        `bundles now carry root.1 .. root.${after.root.signed.version}; agents follow the chain on their next import\n`,
      );
    });

  trust
    .command('show')
    .description("print the latest root's version, expiry and key ids per role")
    .requiredOption('--dir <dir>', 'trust directory')
    .option('--json', 'print JSON')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const loaded = await (await trustLib()).loadTrustDir(opts.dir);
      out.write(
        opts.json
          ? `${showJson(loaded)}\n`
          : `${describe(loaded.root)}\n  chain: root.1 .. root.${loaded.chain.length}\n`,
      );
    });

  return trust;
}
