// A progress bar for long transfers, shown only on a terminal.
import cliProgress from 'cli-progress';
import { formatBytes } from './run.ts';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function progressBar(label: string): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
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
