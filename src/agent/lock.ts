// One agent per state directory: a lock file, created exclusively (a hard link fails when the name exists), that names
// its holder (boot id and pid). A lock is stale only when its holder is gone: another boot, or no such process on this
// one. Taking over a stale lock is itself exclusive — a marker file named after the dead holder — so two agents that
// find the same stale lock never both take it.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, readFile, rm } from 'node:fs/promises';
import { SkiffError } from '../util/index.ts';

const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** This host's boot id ('' where the kernel has none to give: then every lock counts as from this boot). */
export function bootId(): string {
  try {
    return readFileSync(BOOT_ID_FILE, 'utf8').trim();
  } catch {
    return '';
  }
}

interface Holder {
  readonly boot: string;
  readonly pid: number;
}

/** `<boot id> <pid>`; an older agent wrote the pid alone. */
function parseHolder(text: string): Holder | undefined {
  const parts = text.trim().split(/\s+/);
  const pid = Number(parts.at(-1));
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { boot: parts.length > 1 ? parts[0]! : bootId(), pid };
}

/**
 * Alive when it runs on this boot and a process with its pid exists (EPERM: it exists, owned by someone else).
 * Our own pid counts as gone: an agent in a container is often pid 1 in each of its lives.
 */
function isAlive(h: Holder): boolean {
  if (h.boot !== bootId() || h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const readHolder = async (path: string): Promise<{ text: string; holder: Holder | undefined } | undefined> => {
  const text = await readFile(path, 'utf8').catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  });
  return text === undefined ? undefined : { text, holder: parseHolder(text) };
};

/**
 * Creates `path` holding `content`, or returns false when it exists. The content is written to a private file first
 * and hard-linked into place, so nobody ever reads the lock half written (an empty lock would look stale).
 */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(draft, 'wx', 0o600);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(draft, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(draft, { force: true });
  }
}

/** Takes the lock file at `path` or throws CONFLICT naming its live holder; resolves to the function that releases it. */
export async function acquireLock(path: string, dir: string): Promise<() => Promise<void>> {
  const me = `${bootId()} ${process.pid}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(path, me)) return () => rm(path, { force: true });
    const found = await readHolder(path);
    if (found === undefined) continue;
    if (found.holder && isAlive(found.holder)) throw new SkiffError('CONFLICT', `another agent (pid ${found.holder.pid}) is working on ${dir}: wait for it to finish`);
    // Only the agent that creates this marker may remove the stale lock it is named after.
    const marker = `${path}.stale-${createHash('sha256').update(found.text).digest('hex').slice(0, 16)}`;
    if (!(await createExclusive(marker, me))) {
      const other = await readHolder(marker);
      if (other?.holder && isAlive(other.holder)) throw new SkiffError('CONFLICT', `another agent (pid ${other.holder.pid}) is taking over the stale lock of ${dir}: wait for it to finish`);
      await rm(marker, { force: true });
      continue;
    }
    try {
      if ((await readHolder(path))?.text === found.text) await rm(path, { force: true });
    } finally {
      await rm(marker, { force: true });
    }
  }
  throw new SkiffError('CONFLICT', `cannot lock ${dir}: other agents keep taking it; wait for them to finish`);
}
