// A progress bar for long transfers, shown only on a terminal.
import type cliProgressModule from 'cli-progress';
import { createRequire } from 'node:module';
import { formatBytes } from './run.ts';

// cli-progress is CommonJS (22 files): loaded when a bar is shown, not when a group that shows bars defines its commands.
const requireHere = createRequire(import.meta.url);

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function progressBar(label: string): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const cliProgress = requireHere('cli-progress') as typeof cliProgressModule;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {percentage}% {done}/{all}`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0, { done: formatBytes(0), all: formatBytes(total) });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { done: formatBytes(done), all: formatBytes(total) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
