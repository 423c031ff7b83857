// A release read for people: changelog, images and sizes, who signed it, its channels; and the diff against another
// release, computed by the same library code as the CLI's `skiff release diff`. Visibility is the release read's.
import type { FastifyInstance } from 'fastify';
import { diffReleases, parseReleaseManifest, type StoredRelease } from '../../release/index.ts';
import { parseEnvelope } from '../../trust/index.ts';
import type { Digest } from '../../oci/index.ts';
import { principalOf } from '../context.ts';
import type { ReleaseRecord } from '../db/types.ts';
import { NAME, SECURITY, VERSION } from '../schemas.ts';

const releaseParams = { type: 'object', required: ['app', 'version'], additionalProperties: false, properties: { app: NAME, version: VERSION } } as const;
const what = (r: ReleaseRecord) => `release ${r.app}@${r.version}`;

function stored(r: ReleaseRecord): StoredRelease {
  const bytes = Buffer.from(r.manifest);
  return { manifest: parseReleaseManifest(bytes, `${what(r)} release.json`), bytes, sig: Buffer.from(r.signature), digest: r.digest as Digest };
}

/** The key ids in the stored signature envelope; an envelope the hub cannot read lists none. */
function signers(r: ReleaseRecord): string[] {
  try {
    return parseEnvelope(r.signature, `${what(r)} release.sig`).signatures.map((s) => s.keyid);
  } catch {
    return [];
  }
}

type P = { app: string; version: string };

export async function releaseDetailRoutes(app: FastifyInstance): Promise<void> {
  const { db, blobs, access } = app.hub;

  app.get<{ Params: P }>('/apps/:app/releases/:version/details', {
    schema: {
      tags: ['releases'],
      summary: 'One release for reading: changelog, images with digests and compressed sizes, the signing key ids (the hub verified the signature against the app\'s root chain at push), and the channels it is in (users only)',
      security: SECURITY,
      params: releaseParams,
    },
  }, async (req) => {
    const p = principalOf(req);
    const rec = await access.release(p, req.params.app, req.params.version);
    const { manifest } = stored(rec);
    const images = Object.entries(manifest.images).sort(([a], [b]) => a.localeCompare(b))
      .map(([service, i]) => ({ service, ref: i.ref, manifestDigest: i.manifestDigest, platform: `${i.platform.os}/${i.platform.architecture}${i.platform.variant ? `/${i.platform.variant}` : ''}`, compressedBytes: i.sizes.total }));
    const channels = p.kind === 'user'
      ? (await db.listChannels(rec.app)).filter((c) => c.releases.some((e) => e.version === rec.version)).map((c) => c.name)
      : [];
    return {
      app: rec.app, version: rec.version, digest: rec.digest, createdAt: rec.createdAt, changelog: manifest.changelog,
      minAgentVersion: manifest.minAgentVersion, images, totalCompressedBytes: images.reduce((n, i) => n + i.compressedBytes, 0),
      settings: manifest.configSchema.map((s) => ({ name: s.name, type: s.type, required: s.required, secret: s.secret })),
      signature: { keyIds: signers(rec), verifiedAtPush: 'The hub checked this signature against the app\'s root chain (its release keys and threshold) when the release was pushed, and refuses a push that does not verify' },
      channels,
    };
  });

  app.get<{ Params: P; Querystring: { from: string } }>('/apps/:app/releases/:version/diff', {
    schema: {
      tags: ['releases'],
      summary: 'What changes from release `from` to this one (as `skiff release diff`): services and images added, removed or changed, layers shared and new, the blobs and bytes a delta bundle would carry, and the Compose changes. Both must be visible to the caller; an unknown and a hidden version answer alike (404)',
      security: SECURITY,
      params: releaseParams,
      querystring: { type: 'object', required: ['from'], additionalProperties: false, properties: { from: VERSION } },
    },
  }, async (req) => {
    const p = principalOf(req);
    const to = await access.release(p, req.params.app, req.params.version);
    const from = await access.release(p, req.params.app, req.query.from);
    return diffReleases(blobs, stored(from), stored(to));
  });
}
