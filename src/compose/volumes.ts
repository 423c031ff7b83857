// Compose volume syntax, short ('data:/var/lib/x:ro', './conf:/etc/x') and long, to mounts.
import { SyntaxIssue } from './issues.ts';
import type { VolumeMount } from './types.ts';

const SHORT_FORM = `write [SOURCE:]TARGET[:ro|rw], e.g. "data:/var/lib/app" or "/etc/localtime:/etc/localtime:ro"`;
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function checkTarget(target: string): string {
  if (!target.startsWith('/')) throw new SyntaxIssue(`has target "${target}": a mount target must be an absolute path in the container`);
  return target;
}

/** A path-like source (/, ., ~) is a bind mount; anything else names a volume. */
export function isBindSource(source: string): boolean {
  return source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
}

function checkVolumeName(name: string): string {
  if (!VOLUME_NAME.test(name)) throw new SyntaxIssue(`has "${name}", which is neither a path nor a volume name`);
  return name;
}

function parseMode(mode: string): boolean {
  if (mode === 'ro') return true;
  if (mode === 'rw') return false;
  throw new SyntaxIssue(`has mode "${mode}": Skiff supports ro and rw`);
}

export function parseVolumeShort(spec: string): VolumeMount {
  const parts = spec.split(':');
  const [first = '', second, third, ...extra] = parts;
  if (extra.length > 0 || first === '') throw new SyntaxIssue(`is not a volume mount: ${SHORT_FORM}`);
  if (second === undefined) return { type: 'volume', target: checkTarget(first), readOnly: false };
  const readOnly = third === undefined ? false : parseMode(third);
  const target = checkTarget(second);
  if (isBindSource(first)) return { type: 'bind', source: first, target, readOnly };
  return { type: 'volume', source: checkVolumeName(first), target, readOnly };
}

export interface LongVolume {
  readonly type: 'volume' | 'bind' | 'tmpfs';
  readonly source?: string | undefined;
  readonly target: string;
  readonly read_only?: boolean | undefined;
}

export function parseVolumeLong(spec: LongVolume): VolumeMount {
  const target = checkTarget(spec.target);
  const readOnly = spec.read_only ?? false;
  if (spec.type === 'tmpfs') {
    if (spec.source !== undefined) throw new SyntaxIssue('is a tmpfs mount, which takes no source');
    return { type: 'tmpfs', target, readOnly };
  }
  if (spec.type === 'bind') {
    if (spec.source === undefined || spec.source === '') throw new SyntaxIssue('is a bind mount without a source path');
    return { type: 'bind', source: spec.source, target, readOnly };
  }
  if (spec.source === undefined) return { type: 'volume', target, readOnly };
  return { type: 'volume', source: checkVolumeName(spec.source), target, readOnly };
}
