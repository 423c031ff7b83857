// Releases per app: push (signature checked against the app's root chain, every blob present), list and show.
import type { FastifyInstance } from 'fastify';
import { SkiffError } from '../../util/index.ts';
import { mutate, notFound, principalOf, requireUser } from '../context.ts';
import type { ReleaseRecord } from '../db/types.ts';
import { requireReleaseBlobs, verifyPushedRelease } from '../release-verify.ts';
import { NAME, SECURITY, VERSION, appParams } from '../schemas.ts';

const BASE64 = (what: string, max: number) => ({ type: 'string', minLength: 1, maxLength: max, pattern: '^[A-Za-z0-9+/]*={0,2}$', description: `${what}, base64` }) as const;
const releaseParams = { type: 'object', required: ['app', 'version'], additionalProperties: false, properties: { app: NAME, version: VERSION } } as const;
const MAX_MANIFEST_B64 = 12 * 1024 * 1024;

const summary = (r: ReleaseRecord) => ({ app: r.app, version: r.version, digest: r.digest, createdAt: r.createdAt });
const detail = (r: ReleaseRecord) => ({
  ...summary(r),
  manifest: Buffer.from(r.manifest).toString('base64'),
  signature: Buffer.from(r.signature).toString('base64'),
});

type P = { app: string; version: string };

export async function releaseRoutes(app: FastifyInstance): Promise<void> {
  const { db, blobs, access } = app.hub;

  app.put<{ Params: P; Body: { manifest: string; signature: string } }>('/apps/:app/releases/:version', {
    bodyLimit: MAX_MANIFEST_B64 + 64 * 1024,
    schema: {
      tags: ['releases'],
      summary: 'Push a signed release; its blobs must be uploaded first (PUT /blobs/{digest})',
      security: SECURITY,
      params: releaseParams,
      body: {
        type: 'object',
        required: ['manifest', 'signature'],
        additionalProperties: false,
        properties: { manifest: BASE64('release.json', MAX_MANIFEST_B64), signature: BASE64('release.sig', 1024 * 1024) },
      },
    },
  }, async (req, reply) => {
    const { app: name, version } = req.params;
    requireUser(req, 'release:push', `app "${name}"`);
    if (!(await db.getApp(name))) throw notFound(`app "${name}"`);
    const release = await verifyPushedRelease(db, name, version, Buffer.from(req.body.manifest, 'base64'), Buffer.from(req.body.signature, 'base64'));
    const existing = await db.getRelease(name, version);
    if (existing && existing.digest !== release.digest)
      throw new SkiffError('RELEASE_EXISTS', `release ${name}@${version} already exists on the hub with digest ${existing.digest}; releases are immutable, publish a new version`);
    await requireReleaseBlobs(blobs, release.manifest);
    if (existing?.visible) return reply.status(200).send({ ...summary(existing), created: false });
    const rec = await mutate(app, req, async (tx) => {
      const put = await tx.putRelease({ app: name, version, digest: release.digest, manifest: release.bytes, signature: release.sig, visible: true });
      if (!put.visible) await tx.setReleaseVisible(name, version, true);
      return { ...put, visible: true };
    }, (r) => ({ action: 'release.push', target: `app:${name}/release:${version}`, details: { digest: r.digest } }));
    return reply.status(201).send({ ...summary(rec), created: true });
  });

  app.get<{ Params: { app: string } }>('/apps/:app/releases', {
    schema: { tags: ['releases'], summary: "The app's releases the caller may see, semver order", security: SECURITY, params: appParams },
  }, async (req) => {
    return { releases: (await access.releases(principalOf(req), req.params.app)).map(summary) };
  });

  app.get<{ Params: P }>('/apps/:app/releases/:version', {
    schema: { tags: ['releases'], summary: 'One release: digest, manifest and signature (base64)', security: SECURITY, params: releaseParams },
  }, async (req) => detail(await access.release(principalOf(req), req.params.app, req.params.version)));
}
