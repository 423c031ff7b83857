// Bundle downloads: the .skiff file of a release (full, or a delta from the release a site runs) streamed from the stores;
// for a customer with a recipient key, encrypted to it and served from the file it was written to once.
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import { parseRange, type ByteRange } from '../../oci/distribution/index.ts';
import { byteWindow } from '../../util/index.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bundleSize, writeBundle, type BundleSource } from '../../bundle/index.ts';
import { HttpHeader } from '../../oci/index.ts';
import { blobReadBudget } from '../../store/index.ts';
import { principalOf } from '../context.ts';
import { EncryptedBundleCache, baseKey } from '../encrypted-bundles.ts';
import { storedReleaseOf } from '../release-verify.ts';
import { NAME, SECURITY, VERSION } from '../schemas.ts';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.skiff.bundle';
const CONTENT_DISPOSITION = 'content-disposition';

type Q = { Params: { app: string; version: string }; Querystring: { from?: string | string[] } };

/** At most this many bases in one delta (`from` repeated): each costs the hub a release's blob list and chunk index. */
const MAX_BASES = 8;

export async function bundleRoutes(app: FastifyInstance): Promise<void> {
  const { db, blobs, access, encryptedBundles } = app.hub;

  const bundleRoute = {
    schema: {
      tags: ['bundles'],
      summary: `Download a release as a ${BUNDLE_MEDIA_TYPE} file; ?from=<version> gives a delta without the blobs that release has (from repeated: a delta that applies to any one of those releases)`,
      security: SECURITY,
      params: { type: 'object', required: ['app', 'version'], additionalProperties: false, properties: { app: NAME, version: VERSION } },
      querystring: { type: 'object', additionalProperties: false, properties: { from: { anyOf: [VERSION, { type: 'array', minItems: 1, maxItems: MAX_BASES, items: VERSION }] } } },
    },
  };
  // HEAD is this handler's too (headers only): Fastify's own HEAD route would build the whole bundle and drain it.
  app.get<Q>('/bundles/:app/:version', { ...bundleRoute, exposeHeadRoute: false }, serveBundle);
  app.head<Q>('/bundles/:app/:version', bundleRoute, serveBundle);

  async function serveBundle(req: FastifyRequest<Q>, reply: FastifyReply): Promise<FastifyReply> {
    const { app: name, version } = req.params;
    const allowed = await access.download(principalOf(req), name, version, req.query.from);
    const release = storedReleaseOf(allowed.release);
    const [base, ...moreBases] = allowed.bases.map(storedReleaseOf);
    const src: BundleSource = { blobs, release, chain: (await db.listRoots(name)).map((r) => r.root), ...(base ? { base } : {}), ...(moreBases.length > 0 ? { moreBases } : {}) };
    const file = base === undefined ? `${name}-${version}.skiff` : `${name}-${allowed.bases.map((b) => b.version).join('+')}-to-${version}.skiff`;
    reply.header(HttpHeader.contentType, BUNDLE_MEDIA_TYPE).header(HttpHeader.acceptRanges, 'bytes').header(CONTENT_DISPOSITION, `attachment; filename="${file}"`);
    // The access rule names the key a customer's content is sealed to; such a customer never gets the plain bundle.
    if (allowed.sealedTo) return serveEncrypted(req, reply, src, allowed.sealedTo.customerId, allowed.sealedTo.recipient);
    const size = await bundleSize(src);
    const range = rangeOf(req, reply, bundleEtag(src), size);
    if (range === 'unsatisfiable') return reply.send(outsideBundle(req, reply, size));
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

  /**
   * A bundle encrypted to the customer's key, from its cache file (built by the first GET; HEAD computes the size,
   * which depends only on the plaintext's, without building it).
   */
  async function serveEncrypted(req: FastifyRequest<Q>, reply: FastifyReply, src: BundleSource, customerId: string, recipient: string): Promise<FastifyReply> {
    const etag = `"${EncryptedBundleCache.key(src, recipient)}"`;
    const built = req.method === 'HEAD' ? await encryptedBundles.existing(customerId, src, recipient) : await encryptedBundles.file(customerId, src, recipient);
    const size = built?.size ?? (await bundleSize({ ...src, recipients: [recipient] }));
    const range = rangeOf(req, reply, etag, size);
    if (range === 'unsatisfiable') return reply.send(outsideBundle(req, reply, size));
    if (req.method === 'HEAD' || !built) return reply.send();
    return reply.send(createReadStream(built.file, range ? { start: range.start, end: range.end } : {}));
  }
}

/**
 * Sets the ETag, Content-Length and (for a satisfiable Range whose If-Range still names these bytes) the 206 status and
 * Content-Range; for a range outside the bundle, the 416 and its Content-Range (outsideBundle is its body).
 */
function rangeOf(req: FastifyRequest<Q>, reply: FastifyReply, etag: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  // Bundles are byte-identical for the same release, base and roots (an encrypted one: the same file), so a cut download resumes with Range + If-Range.
  const ifRange = req.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : undefined;
  reply.header(HttpHeader.etag, etag);
  if (range === 'unsatisfiable') {
    reply.code(416).header(HttpHeader.contentRange, `bytes */${size}`);
    return range;
  }
  if (range) reply.code(206).header(HttpHeader.contentRange, `bytes ${range.start}-${range.end}/${size}`);
  reply.header(HttpHeader.contentLength, range ? range.end - range.start + 1 : size);
  return range;
}

/** The 416's JSON body (the bundle's media type was set for the bytes that are not sent). */
function outsideBundle(req: FastifyRequest, reply: FastifyReply, size: number): object {
  reply.header(HttpHeader.contentType, 'application/json; charset=utf-8');
  return { error: { code: 'INVALID_INPUT', message: `range ${String(req.headers.range).slice(0, 64)} is outside the ${size}-byte bundle` } };
}

/** Names the exact bytes of a bundle: the release, the bases of a delta, and the root chain it carries. */
function bundleEtag(src: BundleSource): string {
  const h = createHash('sha256').update(src.release.digest).update(`\0${baseKey(src)}\0`);
  for (const root of src.chain) h.update(createHash('sha256').update(root).digest());
  return `"${h.digest('hex').slice(0, 40)}"`;
}
