// One poll of the instance's desired state: `If-None-Match` makes an unchanged answer a bodiless 304; a changed one is
// verified (timestamp key, this instance, fresh, not older than the last accepted) before it is kept.
import { HttpHeader } from '../../oci/index.ts';
import { hubError, send } from '../../hub-client/index.ts';
import { verifyDesired, type DesiredSigned } from '../../fleet/index.ts';
import type { RootMeta } from '../../trust/index.ts';
import { SkiffError } from '../../util/index.ts';
import { hubConnection, type ConnectedDir, type Identity } from './identity.ts';

export const DESIRED_PATH = '/api/v1/instances/self/desired';

export interface PollResult {
  readonly desired: DesiredSigned;
  /** False on a 304: the answer kept from before still holds. */
  readonly changed: boolean;
}

/** Polls once; refusals (bad signature, replay …) throw and leave the kept answer as it was. */
export async function pollDesired(id: Identity, cd: ConnectedDir, root: RootMeta, now: Date, signal?: AbortSignal, hubCa?: string): Promise<PollResult> {
  const conn = hubConnection(id, hubCa);
  const kept = await cd.readDesired();
  const url = `${id.hub}${DESIRED_PATH}`;
  const res = await send(conn, 'GET', url, { headers: kept ? { [HttpHeader.ifNoneMatch]: kept.etag } : {}, signal, retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 } });
  const text = await res.body.text();
  if (res.statusCode === 304 && kept) {
    const desired = verifyDesired(kept.envelope, { root, app: id.app, instance: id.instanceId, now });
    return { desired, changed: false };
  }
  if (res.statusCode !== 200) throw hubError(res.statusCode, text, 'GET', url);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SkiffError('SIGNATURE_INVALID', 'the desired state from the hub is not JSON: refused');
  }
  const desired = verifyDesired(body, { root, app: id.app, instance: id.instanceId, now, ...(kept ? { lastIssued: kept.issued } : {}) });
  const etag = res.headers.etag;
  await cd.writeDesired({ etag: typeof etag === 'string' ? etag : '', issued: desired.issued, envelope: body });
  return { desired, changed: true };
}
