// One line for a filesystem error (a missing bundle, Compose file or trust root, an unreadable state dir, a full disk):
// the path and what to do, instead of Node's `ENOENT: no such file or directory, stat '…'`.

const WHAT_TO_DO: Record<string, (path: string) => string> = {
  ENOENT: (p) => `${p} does not exist: check the path (a directory it names must exist too)`,
  ENOTDIR: (p) => `${p} cannot be reached: a part of its path is a file, not a directory; check the path`,
  EISDIR: (p) => `${p} is a directory: pass the file inside it`,
  EACCES: (p) => `${p} cannot be accessed: permission denied; fix its permissions or run skiff as a user allowed to use it`,
  EPERM: (p) => `${p} cannot be changed: operation not permitted; fix its permissions or run skiff as a user allowed to use it`,
  EROFS: (p) => `${p} is on a read-only filesystem: choose a writable location`,
  ENOSPC: (p) => `no space left on the device holding ${p}: free some space and run the command again`,
  EEXIST: (p) => `${p} already exists: remove it or choose another path`,
  ENAMETOOLONG: (p) => `${p} is too long a path: choose a shorter one`,
  ELOOP: (p) => `${p} cannot be reached: its symbolic links form a loop; check the path`,
  EMFILE: (p) => `too many open files while opening ${p}: raise the limit (ulimit -n) and run the command again`,
};

/**
 * The one-line message for a Node filesystem error carrying a path, or undefined for any other error; `what` names
 * the file's role where the caller knows it ("the trusted root").
 */
export function fsErrorMessage(e: unknown, what?: string): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const { code, path, syscall } = e as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof path !== 'string' || typeof syscall !== 'string') return undefined;
  return WHAT_TO_DO[code]?.(what ? `${what} ${path}` : path);
}
