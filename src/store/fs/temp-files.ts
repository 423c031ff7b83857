// Temp files of the filesystem store: which are in flight in this process, and the sweep that removes the ones left
// behind by a killed process (at once) or by anyone (once older than a limit, by modification time).
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempFileOwner } from './paths.ts';

/** Temp files being written by this process (all stores): never swept, whatever their age. */
const inFlight = new Set<string>();

/** Marks `path` in flight until the returned function is called; call it before the file is created, so no sweep sees it unmarked. */
export function markInFlight(path: string): () => void {
  inFlight.add(path);
  return () => inFlight.delete(path);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether temp file `name` is no one's any more. One of this process that is not in flight, or of a process that is
 * gone, is left over; another live process's (or one whose writer is unknown) only once untouched for `olderThanMs`.
 */
function leftOver(name: string, path: string, ageMs: number, olderThanMs: number): boolean {
  if (inFlight.has(path)) return false;
  const owner = tempFileOwner(name);
  if (owner === process.pid || (owner !== undefined && !processAlive(owner))) return true;
  return ageMs > olderThanMs;
}

/** Removes the left-over temp files (and spool dirs) of `tmpDir`; returns their names. */
export async function sweepTempDir(tmpDir: string, olderThanMs: number, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(tmpDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(tmpDir, name);
    const mtime = (await stat(path).catch(() => undefined))?.mtimeMs;
    if (mtime === undefined || !leftOver(name, path, now - mtime, olderThanMs)) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
