// The install row's phase table: reads the agent's SKIFF_PHASE_TRACE marks and the old script's OLD_SCRIPT_TRACE
// marks, and turns them into named spans (ms) from one round, and medians of them over the rounds.
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { median } from './run.ts';

/** Wall-clock ms, comparable with the marks another process writes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** Mark name → time (the first of that name; `load-start:<id>` marks keep their image id). */
export type Marks = Map<string, number>;

export async function agentMarks(file: string): Promise<Marks> {
  const marks: Marks = new Map();
  for (const line of (await readFile(file, 'utf8')).split('\n').filter(Boolean)) {
    const { at, phase } = JSON.parse(line) as { at: number; phase: string };
    if (!marks.has(phase)) marks.set(phase, at);
  }
  return marks;
}

export async function scriptMarks(file: string): Promise<Marks> {
  const marks: Marks = new Map();
  for (const line of (await readFile(file, 'utf8')).split('\n').filter(Boolean)) {
    const [name, at] = line.split(' ');
    if (name && at && !marks.has(name)) marks.set(name, Number(at));
  }
  return marks;
}

/** A span: its label, and the marks it runs from and to (a prefix such as `load-start:` matches any image). */
export type Span = readonly [label: string, from: string, to: string];

function find(marks: Marks, name: string): number | undefined {
  if (!name.endsWith(':')) return marks.get(name);
  const times = [...marks].filter(([k]) => k.startsWith(name)).map(([, t]) => t);
  return times.length > 0 ? (name.includes('start') ? Math.min(...times) : Math.max(...times)) : undefined;
}

/** Each span's length in one round (NaN when a mark is missing). */
export function spans(marks: Marks, list: readonly Span[]): number[] {
  return list.map(([, from, to]) => (find(marks, to) ?? NaN) - (find(marks, from) ?? NaN));
}

/** "label a s" per span, medians over the rounds. */
export function phaseTable(list: readonly Span[], rounds: readonly number[][]): string {
  return list.map(([label], i) => `${label} ${(median(rounds.map((r) => r[i]!)) / 1000).toFixed(2)} s`).join(', ');
}

/** The install's phases, in the order they happen (`spawn` and `probe` are the bench's own marks). */
export const AGENT_SPANS: readonly Span[] = [
  ['start-up (node, modules)', 'spawn', 'install-start'],
  ['lock, engine connect', 'install-start', 'agent-ready'],
  ['trust root, engine info', 'agent-ready', 'trust-root'],
  ['signature checks', 'trust-root', 'release-verified'],
  ['preflight, plan', 'release-verified', 'blobs-start'],
  ['verify + fsync staging', 'blobs-start', 'bundle-verified'],
  ['first load starts', 'spawn', 'load-start:'],
  ['engine load (archive streamed in)', 'load-start:', 'load-end:'],
  ['loads left after the read', 'bundle-verified', 'images-loaded'],
  ['store commit, journal', 'images-loaded', 'stored'],
  ['stage (inspect, tag)', 'stored', 'staged'],
  ['networks, create', 'staged', 'created:'],
  ['start', 'created:', 'started:'],
  ['started → first healthy probe', 'started:', 'probe'],
  ['health gate (agent)', 'started:', 'healthy'],
  ['commit, prune', 'healthy', 'committed'],
  ['exit', 'committed', 'exit'],
];

export const SCRIPT_SPANS: readonly Span[] = [
  ['start-up (bash)', 'spawn', 'script-start'],
  ['docker load', 'script-start', 'loaded'],
  ['stop, rm', 'loaded', 'removed'],
  ['docker run', 'removed', 'started'],
  ['started → first healthy probe', 'started', 'probe'],
];
