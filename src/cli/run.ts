// Shared CLI plumbing: run an action, print `skiff: <message>` and exit non-zero on failure, never a stack trace.
import { errorMessage, isSkiffError } from '../util/errors.ts';

export async function runAction(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    process.stderr.write(`skiff: ${errorMessage(e)}\n`);
    if (process.env.SKIFF_DEBUG && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
    process.exitCode = isSkiffError(e, 'USAGE') ? 2 : 1;
  }
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
