// Bundle downloads: the .skiff file of a release (full, or a delta from the release a site runs) streamed from the stores.
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import semver from 'semver';
import { bundleSize, writeBundle, type BundleSource } from '../../bundle/index.ts';
import { HttpHeader } from '../../oci/constants.ts';
import { blobReadBudget } from '../../store/index.ts';
import { SkiffError } from '../../util/errors.ts';
import { notFound, principalOf, requireUser } from '../context.ts';
import type { MetadataDb, ReleaseRecord } from '../db/types.ts';
import { storedReleaseOf } from '../release-verify.ts';
import { NAME, SECURITY, VERSION } from '../schemas.ts';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.skiff.bundle';
const CONTENT_DISPOSITION = 'content-disposition';

type Q = { Params: { app: string; version: string }; Querystring: { from?: string } };

/** A visible release the caller may download: vendor users with "read", customers only when entitled to it. */
async function downloadable(db: MetadataDb, app: string, version: string, entitled: boolean): Promise<ReleaseRecord> {
  const rec = await db.getRelease(app, version);
  if (!entitled || !rec?.visible) throw notFound(`release ${app}@${version}`);
  return rec;
}

/** A customer may not skip a release its channel marks required: nothing required lies strictly between from and version. */
async function requireNoSkippedRelease(db: MetadataDb, customerId: string, app: string, from: string, version: string): Promise<void> {
  const channel = (await db.getCustomer(customerId))?.entitlements.find((e) => e.app === app)?.channel;
  const entries = channel === undefined ? [] : ((await db.getChannel(app, channel))?.releases ?? []);
  const skipped = entries.find((e) => e.required && semver.gt(e.version, from) && semver.lt(e.version, version));
  if (skipped)
    throw new SkiffError('REQUIRED_RELEASE', `install ${app}@${skipped.version} first: it is required (channel "${channel ?? ''}") and lies between ${from} and ${version}`);
}

export async function bundleRoutes(app: FastifyInstance): Promise<void> {
  const { db, blobs } = app.hub;

  const bundleRoute = {
    schema: {
      tags: ['bundles'],
      summary: `Download a release as a ${BUNDLE_MEDIA_TYPE} file; ?from=<version> gives a delta without the blobs that release has`,
      security: SECURITY,
      params: { type: 'object', required: ['app', 'version'], additionalProperties: false, properties: { app: NAME, version: VERSION } },
      querystring: { type: 'object', additionalProperties: false, properties: { from: VERSION } },
    },
  };
  // HEAD is this handler's too (headers only): Fastify's own HEAD route would build the whole bundle and drain it.
  app.get<Q>('/bundles/:app/:version', { ...bundleRoute, exposeHeadRoute: false }, serveBundle);
  app.head<Q>('/bundles/:app/:version', bundleRoute, serveBundle);

  async function serveBundle(req: FastifyRequest<Q>, reply: FastifyReply): Promise<FastifyReply> {
    const { app: name, version } = req.params;
    const { from } = req.query;
    const p = principalOf(req);
    if (p.kind === 'user') requireUser(req, 'read', `release ${name}@${version}`);
    const entitled = p.kind === 'user' || (await db.isEntitled(p.customerId, name, version));
    const release = storedReleaseOf(await downloadable(db, name, version, entitled));
    let base;
    if (from !== undefined) {
      if (!semver.lt(from, version))
        throw new SkiffError('USAGE', `from=${from} is not older than ${version}: a delta goes from the release a site runs to a newer one`);
      const rec = await db.getRelease(name, from);
      if (!rec?.visible) throw notFound(`release ${name}@${from} (from=${from})`);
      if (p.kind === 'customer') await requireNoSkippedRelease(db, p.customerId, name, from, version);
      base = storedReleaseOf(rec);
    }
    const src: BundleSource = { blobs, release, chain: (await db.listRoots(name)).map((r) => r.root), ...(base ? { base } : {}) };
    const size = await bundleSize(src);
    const file = from === undefined ? `${name}-${version}.skiff` : `${name}-${from}-to-${version}.skiff`;
    reply.header(HttpHeader.contentType, BUNDLE_MEDIA_TYPE).header(HttpHeader.contentLength, size).header(CONTENT_DISPOSITION, `attachment; filename="${file}"`);
    if (req.method === 'HEAD') return reply.send();
    const body = new PassThrough();
    const stop = new AbortController();
    const lease = blobReadBudget.lease();
    const done = () => {
      stop.abort();
      lease.release();
    };
    // The client may have gone while the handler ran: then 'close' was emitted already.
    if (reply.raw.destroyed) done();
    else reply.raw.once('close', done);
    writeBundle({ ...src, chunkSize: lease.chunkSize }, body, undefined, stop.signal).catch((e: unknown) => {
      if (!stop.signal.aborted) req.log.error({ err: e }, 'bundle stream failed');
      body.destroy(e instanceof Error ? e : new Error(String(e)));
    });
    return reply.send(body);
  }
}
