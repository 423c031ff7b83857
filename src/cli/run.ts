// Shared CLI plumbing: run an action, print `skiff: <message>` and exit non-zero on failure, never a stack trace.
import type { Command, CommanderError } from 'commander';
import { SkiffError, errorMessage, fsErrorMessage, isSkiffError } from '../util/index.ts';

export async function runAction(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    process.stderr.write(`skiff: ${fsErrorMessage(e) ?? errorMessage(e)}\n`);
    if (isSkiffError(e)) for (const line of e.details) process.stderr.write(`  ${line}\n`);
    if (process.env.SKIFF_DEBUG && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
    process.exitCode = isSkiffError(e, 'USAGE') ? 2 : 1;
  }
}

/** Why `skiff <group>` cannot run here, when `e` is a missing package: the agent image leaves the hub's (pg, better-sqlite3) out. */
export function notPartOfInstall(group: string, e: unknown): SkiffError | undefined {
  if ((e as NodeJS.ErrnoException | undefined)?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const pkg = /Cannot find (?:package|module) '([^']+)'/.exec((e as Error).message)?.[1] ?? 'a package';
  return new SkiffError('USAGE', `skiff ${group} is not part of this install (${pkg} is missing): the skiff-agent image carries the agent only; run skiff ${group} where skiff is installed in full (npm ci)`, { cause: e });
}

/** A group's library, loaded when a command runs; a package this install lacks is `notPartOfInstall`'s one line. */
export function importPart<T>(group: string, load: () => Promise<T>): () => Promise<T> {
  return () =>
    load().catch((e: unknown) => {
      throw notPartOfInstall(group, e) ?? e;
    });
}

/** Commander's own outcomes that are not errors: help and version were printed, it exits with their code. */
const NOT_ERRORS = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

/**
 * Argument errors of `cmd` and every subcommand become a USAGE SkiffError, so they print as every other error does:
 * one `skiff: …` line (with commander's "did you mean" and where the usage is), exit code 2.
 */
export function reportUsageErrors(cmd: Command): void {
  const where = [...ancestry(cmd)].reverse().join(' ');
  cmd.configureOutput({ outputError: () => undefined }).exitOverride((err: CommanderError) => {
    if (NOT_ERRORS.has(err.code)) return;
    const message = err.message.replace(/^error: /, '').replace(/\n\(Did you mean (.+)\)$/, '; did you mean $1').replace(/\s*\n\s*/g, ' ');
    throw new SkiffError('USAGE', `${message} (see ${where} --help)`, { cause: err });
  });
  for (const sub of cmd.commands) reportUsageErrors(sub);
}

function* ancestry(cmd: Command): Generator<string> {
  for (let c: Command | null = cmd; c; c = c.parent) yield c.name();
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
