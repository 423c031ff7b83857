// Support bundles at the hub: upload one for an instance (as the instance, or a vendor user carrying it by hand),
// streamed from the file with its exact length.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { HubConnection } from './connection.ts';
import { hubError } from './errors.ts';
import { send } from './http.ts';

export interface SupportBundleUpload {
  readonly id: string;
  readonly instanceId: string;
  readonly digest: string;
  readonly size: number;
  readonly createdAt: string;
}

export const SUPPORT_BUNDLE_TYPE = 'application/gzip';

export async function uploadSupportBundle(conn: HubConnection, instanceId: string, file: string): Promise<SupportBundleUpload> {
  const size = (await stat(file)).size;
  const url = `${conn.hub}/api/v1/instances/${encodeURIComponent(instanceId)}/support-bundles`;
  const res = await send(conn, 'POST', url, { headers: { 'content-type': SUPPORT_BUNDLE_TYPE, 'content-length': String(size) }, body: () => createReadStream(file) });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw hubError(res.statusCode, text, 'POST', url);
  return JSON.parse(text) as SupportBundleUpload;
}
