// The unchanged check-in, answered before the framework. Most of a fleet's traffic is an instance's poll that names the
// answer it holds; when this replica has that instance's principal and answer cached for a recent generation and the
// If-None-Match names the answer's ETag, the 304 is written here, without routing, hooks or serialization (twice the
// rate, measured by bench/hub-checkins.ts). Anything else — another route, nothing cached, a new generation, a closing
// hub, a bad credential — goes to Fastify untouched, which answers the same poll the slow way.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** The ETag of the answer cached for this credential under a recent generation; undefined: let Fastify answer. */
export type CachedEtag = (authorization: string) => string | undefined;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Puts the fast path in front of the server's request listener (Fastify's, registered when it was built); counts each 304 it writes. */
export function answerUnchangedCheckins(server: Server, path: string, counter: { inc(): void }, cachedEtag: CachedEtag): void {
  const listeners = server.listeners('request') as Handler[];
  const framework = listeners[0];
  if (listeners.length !== 1 || !framework) throw new Error(`the hub's server has ${listeners.length} request listeners, expected Fastify's alone`);
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const tags = req.headers['if-none-match'];
    const auth = req.headers.authorization;
    if (req.method !== 'GET' || req.url !== path || tags === undefined || auth === undefined) return framework(req, res);
    const etag = cachedEtag(auth);
    if (etag === undefined || !tags.split(',').some((t) => t.trim() === etag)) return framework(req, res);
    res.writeHead(304, ['etag', etag, 'cache-control', 'no-cache']);
    res.end();
    counter.inc();
  });
}
