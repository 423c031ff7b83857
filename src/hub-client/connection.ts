// Where the hub is and who calls it: a URL and a bearer token (from flags or SKIFF_HUB / SKIFF_TOKEN).
import { SkiffError } from '../util/errors.ts';

export interface HubConnection {
  /** The hub's base URL, without a trailing slash. */
  readonly hub: string;
  readonly token: string;
}

export function connectionFrom(opts: { hub?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): HubConnection {
  const hub = opts.hub ?? env.SKIFF_HUB;
  const token = opts.token ?? env.SKIFF_TOKEN;
  if (!hub) throw new SkiffError('USAGE', 'no hub given: pass --hub URL or set SKIFF_HUB');
  if (!/^https?:\/\/[^/]+/.test(hub)) throw new SkiffError('USAGE', `--hub "${hub}" is not an http(s) URL`);
  if (!token) throw new SkiffError('USAGE', 'no token given: pass --token or set SKIFF_TOKEN');
  return { hub: hub.replace(/\/+$/, ''), token };
}
