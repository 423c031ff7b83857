// Blob uploads for `skiff release push`: HEAD tells what the hub has, PUT streams one blob into the store (hash-checked).
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { HttpHeader, type Digest } from '../../oci/index.ts';
import { SkiffError } from '../../util/index.ts';
import { audit, notFound, requireUser } from '../context.ts';
import { SECURITY } from '../schemas.ts';

export const OCTET_STREAM = 'application/octet-stream';
export const DIGEST = { type: 'string', pattern: '^sha256:[a-f0-9]{64}$', description: 'sha256:<64 lowercase hex>' } as const;
const digestParams = { type: 'object', required: ['digest'], additionalProperties: false, properties: { digest: DIGEST } } as const;

type P = { Params: { digest: Digest } };

function declaredSize(header: string | undefined): number {
  if (header === undefined || !/^\d{1,15}$/.test(header))
    throw new SkiffError('INVALID_INPUT', 'headers.content-length is required: send the blob with its exact Content-Length, not chunked');
  return Number(header);
}

export async function blobRoutes(app: FastifyInstance): Promise<void> {
  const { blobs } = app.hub;
  // Blob bodies reach the handler as the raw request stream, so a layer is never buffered in memory.
  app.addContentTypeParser(OCTET_STREAM, (_req, payload, done) => done(null, payload));
  // Any other type (or none) reaches the handler too, which names the one it accepts instead of asking for JSON.
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.head<P>('/blobs/:digest', {
    schema: { tags: ['blobs'], summary: 'Whether the hub has a blob (Content-Length is its size)', security: SECURITY, params: digestParams },
  }, async (req, reply) => {
    requireUser(req, 'release:push', `blob ${req.params.digest}`);
    const stat = await blobs.stat(req.params.digest);
    if (!stat) throw notFound(`blob ${req.params.digest}`);
    return reply.status(200).header(HttpHeader.contentLength, stat.size).send();
  });

  app.put<P>('/blobs/:digest', {
    schema: {
      tags: ['blobs'],
      summary: 'Upload one blob as application/octet-stream with its Content-Length; stored only if it hashes to the digest',
      security: SECURITY,
      params: digestParams,
    },
  }, async (req, reply) => {
    const { digest } = req.params;
    requireUser(req, 'release:push', `blob ${digest}`);
    const type = req.headers[HttpHeader.contentType];
    const size = declaredSize(req.headers[HttpHeader.contentLength]);
    if (size > 0 && type?.split(';')[0]?.trim().toLowerCase() !== OCTET_STREAM)
      return reply.status(415).send({ error: { code: 'INVALID_INPUT', message: `send the blob with "content-type: ${OCTET_STREAM}"` } });
    const body = req.body instanceof Readable ? req.body : Readable.from([]);
    const stat = await blobs.put(body, { digest, size });
    await audit(app, req, 'blob.upload', `blob:${digest}`, { size: stat.size });
    return reply.status(201).send({ digest: stat.digest, size: stat.size });
  });
}
