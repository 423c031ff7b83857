// One line for a filesystem error (a missing bundle, Compose file or trust root, an unreadable state dir, a full disk):
// the path and what to do, instead of Node's `ENOENT: no such file or directory, stat '…'`.

interface FsProblem {
  /** What is wrong with the (labelled) path. */
  readonly problem: (p: string) => string;
  /** What to do about it. */
  readonly fix: string;
  /** Nothing or the wrong thing is at the path: a caller that knows where the file comes from has a better fix. */
  readonly wrongThing?: true;
}

const PROBLEMS: Record<string, FsProblem> = {
  ENOENT: { problem: (p) => `${p} does not exist`, fix: 'check the path (a directory it names must exist too)', wrongThing: true },
  ENOTDIR: { problem: (p) => `${p} cannot be reached: a part of its path is a file, not a directory`, fix: 'check the path' },
  EISDIR: { problem: (p) => `${p} is a directory`, fix: 'pass the file inside it', wrongThing: true },
  EACCES: { problem: (p) => `${p} cannot be accessed: permission denied`, fix: 'fix its permissions or run skiff as a user allowed to use it' },
  EPERM: { problem: (p) => `${p} cannot be changed: operation not permitted`, fix: 'fix its permissions or run skiff as a user allowed to use it' },
  EROFS: { problem: (p) => `${p} is on a read-only filesystem`, fix: 'choose a writable location' },
  ENOSPC: { problem: (p) => `no space left on the device holding ${p}`, fix: 'free some space and run the command again' },
  EEXIST: { problem: (p) => `${p} already exists`, fix: 'choose another path (skiff does not overwrite it)' },
  ENAMETOOLONG: { problem: (p) => `${p} is too long a path`, fix: 'choose a shorter one' },
  ELOOP: { problem: (p) => `${p} cannot be reached: its symbolic links form a loop`, fix: 'check the path' },
  EMFILE: { problem: (p) => `too many open files while opening ${p}`, fix: 'raise the limit (ulimit -n) and run the command again' },
};

/** What a caller knows of the file beyond Node's error. */
export interface FsErrorContext {
  /** The file's path as the user named it: a read of a directory fails with an EISDIR that names none, a write through a temporary file names that. */
  readonly path?: string;
  /** The advice when the path holds nothing or the wrong thing ("restore it from your backup"). */
  readonly fix?: string;
}

/**
 * The one-line message for a Node filesystem error carrying a path (or given one), or undefined for any other error;
 * `what` names the file's role where the caller knows it ("the trusted root").
 */
export function fsErrorMessage(e: unknown, what?: string, context: FsErrorContext = {}): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const { code, syscall } = e as NodeJS.ErrnoException;
  const path = context.path ?? (e as NodeJS.ErrnoException).path;
  if (typeof code !== 'string' || typeof path !== 'string' || typeof syscall !== 'string') return undefined;
  const known = PROBLEMS[code];
  if (!known) return undefined;
  return `${known.problem(what ? `${what} ${path}` : path)}: ${known.wrongThing && context.fix ? context.fix : known.fix}`;
}
