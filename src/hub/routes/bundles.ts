// Bundle downloads: the .skiff file of a release (full, or a delta from the release a site runs) streamed from the stores.
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { bundleSize, writeBundle, type BundleSource } from '../../bundle/index.ts';
import { HttpHeader } from '../../oci/constants.ts';
import { principalOf } from '../context.ts';
import { storedReleaseOf } from '../release-verify.ts';
import { NAME, SECURITY, VERSION } from '../schemas.ts';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.skiff.bundle';
const CONTENT_DISPOSITION = 'content-disposition';

type Q = { Params: { app: string; version: string }; Querystring: { from?: string } };

export async function bundleRoutes(app: FastifyInstance): Promise<void> {
  const { db, blobs, access } = app.hub;

  app.get<Q>('/bundles/:app/:version', {
    schema: {
      tags: ['bundles'],
      summary: `Download a release as a ${BUNDLE_MEDIA_TYPE} file; ?from=<version> gives a delta without the blobs that release has`,
      security: SECURITY,
      params: { type: 'object', required: ['app', 'version'], additionalProperties: false, properties: { app: NAME, version: VERSION } },
      querystring: { type: 'object', additionalProperties: false, properties: { from: VERSION } },
    },
  }, async (req, reply) => {
    const { app: name, version } = req.params;
    const { from } = req.query;
    const allowed = await access.download(principalOf(req), name, version, from);
    const release = storedReleaseOf(allowed.release);
    const base = allowed.base && storedReleaseOf(allowed.base);
    const src: BundleSource = { blobs, release, chain: (await db.listRoots(name)).map((r) => r.root), ...(base ? { base } : {}) };
    const size = await bundleSize(src);
    const body = new PassThrough();
    const stop = new AbortController();
    reply.raw.once('close', () => stop.abort());
    writeBundle(src, body, undefined, stop.signal).catch((e: unknown) => {
      req.log.error({ err: e }, 'bundle stream failed');
      body.destroy(e instanceof Error ? e : new Error(String(e)));
    });
    const file = from === undefined ? `${name}-${version}.skiff` : `${name}-${from}-to-${version}.skiff`;
    return reply
      .header(HttpHeader.contentType, BUNDLE_MEDIA_TYPE)
      .header(HttpHeader.contentLength, size)
      .header(CONTENT_DISPOSITION, `attachment; filename="${file}"`)
      .send(body);
  });
}
