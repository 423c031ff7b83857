// An instance's side of the connected protocol over real HTTP, without the agent: enroll, poll the desired state with
// If-None-Match, report what it runs; and releases whose records stand in for pushed ones (the desired-state path reads
// only their version, digest and settings).
import { createHash, generateKeyPairSync } from 'node:crypto';
import { request } from 'undici';
import type { MetadataTx } from '../../src/hub/db/types.ts';
import { RELEASE_SCHEMA, releaseBytes } from '../../src/release/index.ts';

export interface Enrolled {
  readonly id: string;
  readonly credential: string;
}

export interface Polled {
  readonly status: number;
  readonly etag: string | undefined;
  readonly body: unknown;
}

const json = { 'content-type': 'application/json' };

/** POST /api/v1/enroll with the secret part of an enrollment token, as the agent does. */
export async function enrollInstance(hub: string, enrollToken: string, name: string): Promise<Enrolled> {
  const { publicKey } = generateKeyPairSync('ed25519');
  const res = await request(`${hub}/api/v1/enroll`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ token: enrollToken.split('.')[0], name, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`enroll ${name}: ${res.statusCode} ${text}`);
  const answer = JSON.parse(text) as { instance: { id: string }; credential: string };
  return { id: answer.instance.id, credential: answer.credential };
}

export async function pollDesired(hub: string, credential: string, etag?: string): Promise<Polled> {
  const res = await request(`${hub}/api/v1/instances/self/desired`, { headers: { authorization: `Bearer ${credential}`, ...(etag ? { 'if-none-match': etag } : {}) } });
  const text = await res.body.text();
  const tag = res.headers.etag;
  return { status: res.statusCode, etag: typeof tag === 'string' ? tag : undefined, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** The release an answer names (`null` when none). */
export const releaseOf = (p: Polled): string | null => (p.body as { signed: { release: { version: string } | null } }).signed.release?.version ?? null;

export async function reportVersion(hub: string, credential: string, currentVersion: string | null): Promise<void> {
  const res = await request(`${hub}/api/v1/instances/self/status`, {
    method: 'POST',
    headers: { ...json, authorization: `Bearer ${credential}` },
    body: JSON.stringify({ currentVersion, health: 'healthy' }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 204) throw new Error(`status report: ${res.statusCode} ${text}`);
}

/** Records a release of `app` (visible, without images or settings) in a mutation. */
export async function putPlaceholderRelease(tx: MetadataTx, app: string, version: string, changelog = ''): Promise<void> {
  const manifest = releaseBytes({
    schema: RELEASE_SCHEMA, app, version, createdAt: '2026-01-01T00:00:00.000Z', channelHints: [], images: {}, compose: {},
    configSchema: [], hooks: {}, changelog, minAgentVersion: '0.0.0', sbom: [],
  });
  await tx.putRelease({ app, version, digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}`, manifest, signature: Buffer.from('{}'), visible: true });
}
