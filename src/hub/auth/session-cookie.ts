// The web console's session: the login's token in an HttpOnly, SameSite=Strict cookie scoped to the API, so that page
// scripts never hold it. A write that authenticates by the cookie must also carry X-Skiff-CSRF: a cross-site form
// cannot set a header, and a cross-site fetch could only with a CORS grant the hub never gives.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SkiffError } from '../../util/index.ts';
import { credentialOf } from './principal.ts';

export const SESSION_COOKIE = 'skiff_session';
export const CSRF_HEADER = 'x-skiff-csrf';
const READS = new Set(['GET', 'HEAD']);

/** The request's credential: its Authorization header, else the console's session cookie (checked for CSRF). */
export function requestCredential(req: FastifyRequest): string | undefined {
  const header = credentialOf(req.headers.authorization);
  if (header !== undefined) return header;
  const cookie = req.cookies[SESSION_COOKIE];
  if (!cookie) return undefined;
  if (!READS.has(req.method) && req.headers[CSRF_HEADER] !== '1') {
    throw new SkiffError('FORBIDDEN', `a change made with the session cookie must carry the header "X-Skiff-CSRF: 1" (the console sends it); an API client sends its token as "Authorization: Bearer …"`);
  }
  return cookie;
}

/** Sets the session cookie; Secure when the hub serves HTTPS (or sits behind a proxy that says it does). */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, expiresAt: string): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/api/',
    httpOnly: true,
    sameSite: 'strict',
    secure: req.protocol === 'https',
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/api/', httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https' });
}
