// Bundle downloads: the .skiff file of a release (full, or a delta from the release a site runs) streamed from the stores.
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseRange } from '../../oci/distribution/index.ts';
import { byteWindow } from '../../util/index.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bundleSize, writeBundle, type BundleSource } from '../../bundle/index.ts';
import { HttpHeader } from '../../oci/index.ts';
import { blobReadBudget } from '../../store/index.ts';
import { principalOf } from '../context.ts';
import { storedReleaseOf } from '../release-verify.ts';
import { NAME, SECURITY, VERSION } from '../schemas.ts';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.skiff.bundle';
const CONTENT_DISPOSITION = 'content-disposition';

type Q = { Params: { app: string; version: string }; Querystring: { from?: string } };

export async function bundleRoutes(app: FastifyInstance): Promise<void> {
  const { db, blobs, access } = app.hub;

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
    const allowed = await access.download(principalOf(req), name, version, from);
    const release = storedReleaseOf(allowed.release);
    const base = allowed.base && storedReleaseOf(allowed.base);
    const src: BundleSource = { blobs, release, chain: (await db.listRoots(name)).map((r) => r.root), ...(base ? { base } : {}) };
    const size = await bundleSize(src);
    const file = from === undefined ? `${name}-${version}.skiff` : `${name}-${from}-to-${version}.skiff`;
    const etag = bundleEtag(src);
    // Bundles are byte-identical for the same release, base and roots, so a cut download resumes with Range + If-Range.
    const ifRange = req.headers['if-range'];
    const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : undefined;
    reply.header(HttpHeader.contentType, BUNDLE_MEDIA_TYPE).header(HttpHeader.etag, etag).header(HttpHeader.acceptRanges, 'bytes').header(CONTENT_DISPOSITION, `attachment; filename="${file}"`);
    if (range === 'unsatisfiable') return reply.code(416).header(HttpHeader.contentRange, `bytes */${size}`).send({ error: { code: 'INVALID_INPUT', message: `range ${String(req.headers.range).slice(0, 64)} is outside the ${size}-byte bundle` } });
    if (range) reply.code(206).header(HttpHeader.contentRange, `bytes ${range.start}-${range.end}/${size}`);
    reply.header(HttpHeader.contentLength, range ? range.end - range.start + 1 : size);
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
    const out = range ? byteWindow(range.start, range.end) : body;
    if (range) pipeline(out, body).catch(() => undefined);
    writeBundle({ ...src, chunkSize: lease.chunkSize }, out, undefined, stop.signal).catch((e: unknown) => {
      if (!stop.signal.aborted) req.log.error({ err: e }, 'bundle stream failed');
      body.destroy(e instanceof Error ? e : new Error(String(e)));
    });
    return reply.send(body);
  }
}

/** Names the exact bytes of a bundle: the release, the base of a delta, and the root chain it carries. */
function bundleEtag(src: BundleSource): string {
  const h = createHash('sha256').update(src.release.digest).update(`\0${src.base?.digest ?? ''}\0`);
  for (const root of src.chain) h.update(createHash('sha256').update(root).digest());
  return `"${h.digest('hex').slice(0, 40)}"`;
}
