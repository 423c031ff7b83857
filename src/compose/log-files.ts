// x-skiff.logs: log files inside named volumes, written `<volume>:<path in the container>/<file pattern>` (e.g.
// "data:/var/log/app/*.log"); the agent reads them through the volume's mountpoint. A pattern uses * and ? in its
// last segment only.
import { SyntaxIssue } from './issues.ts';

export interface LogFileSpec {
  readonly volume: string;
  /** The directory in the container, as written. */
  readonly dir: string;
  readonly pattern: string;
}

const ENTRY = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(\/[^*?]*?)\/?([^/]+)$/;

export function parseLogEntry(text: string): LogFileSpec {
  const m = ENTRY.exec(text);
  if (!m || !m[1] || m[2] === undefined || !m[3] || m[2].split('/').some((s) => s === '..'))
    throw new SyntaxIssue(`"${text}" is not <volume>:<absolute path>/<file pattern>, e.g. "data:/var/log/app/*.log" (* and ? only in the file name)`);
  return { volume: m[1], dir: m[2] === '' ? '/' : m[2], pattern: m[3] };
}

/** The directory relative to a volume mounted at `target`, or undefined when the directory is not under it. */
export function dirInVolume(spec: LogFileSpec, target: string): string | undefined {
  const t = target.replace(/\/+$/, '');
  if (spec.dir === t) return '';
  return spec.dir.startsWith(`${t}/`) ? spec.dir.slice(t.length + 1) : undefined;
}

/** A file name matching a pattern of * and ?. */
export function matchesPattern(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  return re.test(name);
}
