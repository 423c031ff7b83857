// An opt-in phase trace for the install bench: with SKIFF_PHASE_TRACE=<file>, each phase mark appends one JSON line.
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const file = process.env.SKIFF_PHASE_TRACE;
let started = false;

/** Marks the moment a phase of an install is reached (wall-clock ms, so the bench can set it against its own clock). */
export function phase(name: string): void {
  if (!file) return;
  // The first mark also records when this process started, to separate the command's start-up from the work.
  if (!started) {
    started = true;
    appendFileSync(file, `${JSON.stringify({ at: performance.timeOrigin, phase: 'process-start' })}\n`);
  }
  appendFileSync(file, `${JSON.stringify({ at: performance.timeOrigin + performance.now(), phase: name })}\n`);
}
