// Where the hub is and who calls it: a URL and a bearer token (from flags or SKIFF_HUB / SKIFF_TOKEN), and the CA
// file its certificate is issued by when that is a private CA (--hub-ca; SKIFF_HUB_CA is read where requests are made).
import { SkiffError } from '../util/index.ts';

export interface HubConnection {
  /** The hub's base URL, without a trailing slash. */
  readonly hub: string;
  readonly token: string;
  /** A PEM file of the CA that issued the hub's certificate, trusted besides the usual roots. */
  readonly ca?: string;
}

export function connectionFrom(opts: { hub?: string; token?: string; hubCa?: string }, env: NodeJS.ProcessEnv = process.env): HubConnection {
  const hub = opts.hub ?? env.SKIFF_HUB;
  const token = opts.token ?? env.SKIFF_TOKEN;
  if (!hub) throw new SkiffError('USAGE', 'no hub given: pass --hub URL or set SKIFF_HUB');
  if (!/^https?:\/\/[^/]+/.test(hub)) throw new SkiffError('USAGE', `--hub "${hub}" is not an http(s) URL`);
  if (!token) throw new SkiffError('USAGE', 'no token given: pass --token or set SKIFF_TOKEN');
  return { hub: hub.replace(/\/+$/, ''), token, ...(opts.hubCa ? { ca: opts.hubCa } : {}) };
}
