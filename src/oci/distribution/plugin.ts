// The OCI Distribution pull API (`/v2/`) as a Fastify plugin over a BlobStore; what a name serves is the resolver's call.
import type { Readable } from 'node:stream';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { blobReadBudget, type GetOptions } from '../../store/index.ts';
import { DistributionApiVersion, Header, HttpHeader, OciErrorCode } from '../constants.ts';
import { isDigest, type Digest } from '../digest.ts';
import { isRepositoryName, parseReference } from './names.ts';
import { parseRange } from './range.ts';
import { errorBody, RegistryError, toRegistryError } from './registry-error.ts';
import type { DistributionOptions } from './types.ts';

const PULL_METHODS = ['GET', 'HEAD'] as const;
const PUSH_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
const PATH_RE = /^(.+)\/(manifests|blobs)\/([^/]+)$/;
const DEFAULT_CHALLENGE = 'Basic realm="skiff"';
const BLOB_CONTENT_TYPE = 'application/octet-stream';

export const distributionPlugin: FastifyPluginAsync<DistributionOptions> = async (app, opts) => {
  const { blobs, resolver } = opts;
  const authenticate = opts.authenticate ?? (async () => undefined);
  const challenge = opts.challenge ?? (() => DEFAULT_CHALLENGE);
  const contexts = new WeakMap<FastifyRequest, unknown>();
  const readBudget = opts.readBudget ?? blobReadBudget;

  /** A blob to send as the response body; its read chunk is leased from the budget until the response is done. */
  async function openForReply(reply: FastifyReply, digest: Digest, range: Pick<GetOptions, 'start' | 'end'> = {}): Promise<Readable> {
    const lease = readBudget.lease();
    if (reply.raw.destroyed) lease.release();
    else reply.raw.once('close', lease.release);
    let stream: Readable;
    try {
      stream = await blobs.get(digest, { ...range, chunkSize: lease.chunkSize });
    } catch (e) {
      lease.release();
      throw e;
    }
    // The client left while the blob was opened: no response will read, or close, this stream.
    if (reply.raw.destroyed) stream.destroy();
    return stream;
  }

  app.addHook('onRequest', async (req, reply) => {
    reply.header(Header.apiVersion, DistributionApiVersion);
    contexts.set(req, await authenticate(req));
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const known = toRegistryError(error) ?? fromFastify(error);
    if (!known) req.log.error({ err: error }, 'registry request failed');
    const answer = known ?? new RegistryError(OciErrorCode.unknown, 'the registry failed to answer; see its log');
    if (answer.status === 401) reply.header(Header.wwwAuthenticate, challenge(req));
    return reply.code(answer.status).type('application/json').send(errorBody(answer));
  });

  app.route({
    method: [...PULL_METHODS],
    url: '/v2/',
    handler: async (_req, reply) => reply.type('application/json').send({}),
  });

  app.route({
    method: [...PUSH_METHODS],
    url: '/v2/*',
    // Refused before the body is parsed, so an upload of any content type or size is never read.
    onRequest: async (_req, reply) => {
      reply.header(HttpHeader.allow, PULL_METHODS.join(', '));
      throw new RegistryError(OciErrorCode.unsupported, 'this registry is read-only: only GET and HEAD are served');
    },
    handler: async () => {
      throw new RegistryError(OciErrorCode.unsupported, 'this registry is read-only: only GET and HEAD are served');
    },
  });

  app.route<{ Params: { '*': string } }>({
    method: [...PULL_METHODS],
    url: '/v2/*',
    handler: async (req, reply) => {
      const rest = req.params['*'];
      const m = PATH_RE.exec(rest);
      if (!m) throw new RegistryError(OciErrorCode.unsupported, `no pull endpoint at /v2/${rest.slice(0, 200)}: use /v2/<name>/manifests/<reference> or /v2/<name>/blobs/<digest>`, { status: 404 });
      const [, name = '', kind, ref = ''] = m;
      if (!isRepositoryName(name)) throw new RegistryError(OciErrorCode.nameInvalid, `repository name "${name.slice(0, 200)}" is not a valid OCI name (lower-case components separated by / . _ -)`);
      const ctx = contexts.get(req);
      return kind === 'manifests' ? serveManifest(req, reply, name, ref, ctx) : serveBlob(req, reply, name, ref, ctx);
    },
  });

  async function serveManifest(req: FastifyRequest, reply: FastifyReply, name: string, ref: string, ctx: unknown): Promise<FastifyReply> {
    const reference = parseReference(ref);
    if (reference === 'invalid-digest') throw digestInvalid(ref);
    const unknown = new RegistryError(OciErrorCode.manifestUnknown, `manifest ${ref.slice(0, 200)} of ${name} is unknown to this registry`, { detail: { name, reference: ref.slice(0, 200) } });
    if (reference === undefined) throw unknown;
    const resolved = await resolver.resolveManifest(name, ref, ctx);
    if (!resolved || (reference.kind === 'digest' && resolved.digest !== reference.digest)) throw unknown;
    const stat = await blobs.stat(resolved.digest);
    if (!stat) throw unknown;
    reply.header(HttpHeader.contentType, resolved.mediaType);
    setContentHeaders(reply, resolved.digest, stat.size);
    if (notModified(req, resolved.digest)) return reply.code(304).send();
    if (req.method === 'HEAD') return reply.send();
    return reply.send(await openForReply(reply, resolved.digest));
  }

  async function serveBlob(req: FastifyRequest, reply: FastifyReply, name: string, ref: string, ctx: unknown): Promise<FastifyReply> {
    if (!isDigest(ref)) throw digestInvalid(ref);
    const unknown = new RegistryError(OciErrorCode.blobUnknown, `blob ${ref} of ${name} is unknown to this registry`, { detail: { name, digest: ref } });
    if (!(await resolver.blobVisible(name, ref, ctx))) throw unknown;
    const stat = await blobs.stat(ref);
    if (!stat) throw unknown;
    reply.header(HttpHeader.contentType, BLOB_CONTENT_TYPE);
    reply.header(HttpHeader.acceptRanges, 'bytes');
    const range = parseRange(req.headers.range, stat.size);
    if (range === 'unsatisfiable') {
      reply.header(HttpHeader.contentRange, `bytes */${stat.size}`);
      // The spec names no code for a bad range; SIZE_INVALID is the nearest (the asked size does not fit the blob).
      throw new RegistryError(OciErrorCode.sizeInvalid, `range "${String(req.headers.range).slice(0, 100)}" is outside blob ${ref} of ${stat.size} bytes`, { status: 416 });
    }
    if (range === undefined) {
      setContentHeaders(reply, ref, stat.size);
      if (notModified(req, ref)) return reply.code(304).send();
      return req.method === 'HEAD' ? reply.send() : reply.send(await openForReply(reply, ref));
    }
    setContentHeaders(reply, ref, range.end - range.start + 1);
    reply.header(HttpHeader.contentRange, `bytes ${range.start}-${range.end}/${stat.size}`);
    reply.code(206);
    return req.method === 'HEAD' ? reply.send() : reply.send(await openForReply(reply, ref, { start: range.start, end: range.end }));
  }
};

function setContentHeaders(reply: FastifyReply, digest: Digest, length: number): void {
  reply.header(Header.contentDigest, digest);
  reply.header(HttpHeader.contentLength, String(length));
  reply.header(HttpHeader.etag, `"${digest}"`);
}

function notModified(req: FastifyRequest, digest: Digest): boolean {
  const tags = req.headers[HttpHeader.ifNoneMatch];
  return tags !== undefined && tags.split(',').some((t) => t.trim() === `"${digest}"` || t.trim() === '*');
}

function digestInvalid(ref: string): RegistryError {
  return new RegistryError(OciErrorCode.digestInvalid, `"${ref.slice(0, 200)}" is not a sha256 digest (sha256:<64 hex>)`);
}

/** Fastify's own 4xx errors (bad URL, body too large…) keep their status. */
function fromFastify(error: FastifyError): RegistryError | undefined {
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  return new RegistryError(status === 401 ? OciErrorCode.unauthorized : OciErrorCode.unknown, error.message.split('\n')[0] ?? 'bad request', { status });
}
