// ETags on the API's JSON reads, so that a page polling for changes gets a bodiless 304 while nothing changed.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** An onSend hook for reads under `prefix`: a weak ETag of the answer; 304 when the request's If-None-Match names it. */
export function readEtags(prefix: string) {
  return async (req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    if (req.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string' || !req.url.startsWith(prefix) || reply.hasHeader('etag')) return payload;
    const etag = `W/"${createHash('sha256').update(payload).digest('base64url').slice(0, 27)}"`;
    // A read answers for its caller: shared caches keep none of it, the browser asks again each time.
    reply.header('etag', etag).header('cache-control', 'private, no-cache');
    const tags = req.headers['if-none-match'];
    if (tags === undefined || !tags.split(',').some((t) => t.trim() === etag)) return payload;
    reply.code(304);
    return '';
  };
}
