// The hub's one table from SkiffError code to HTTP status and its one error body, `{ "error": { code, message } }`: for
// route errors, for what Fastify's router rejects, and for what Node's HTTP parser rejects before any route runs.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SkiffError, type SkiffErrorCode } from '../util/index.ts';
import { MAX_PARAM_LENGTH } from './schemas.ts';

/** Codes absent here are server faults (500). */
export const HTTP_STATUS: Readonly<Partial<Record<SkiffErrorCode, number>>> = {
  USAGE: 400,
  INVALID_INPUT: 400,
  DIGEST_INVALID: 400,
  DIGEST_MISMATCH: 400,
  SIZE_MISMATCH: 400,
  TRUST_INVALID: 400,
  TRUST_EXPIRED: 400,
  SIGNATURE_INVALID: 400,
  KEY_REVOKED: 400,
  COMPOSE_INVALID: 400,
  COMPOSE_UNSUPPORTED_KEY: 400,
  CONFIG_INVALID: 400,
  RELEASE_INVALID: 400,
  WRONG_APP: 400,
  BUNDLE_INVALID: 400,
  BUNDLE_TRUNCATED: 400,
  DECRYPT_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BLOB_UNKNOWN: 404,
  BASE_MISSING: 404,
  CONFLICT: 409,
  RELEASE_EXISTS: 409,
  RELEASE_ROLLBACK: 409,
  REQUIRED_RELEASE: 409,
  POLICY_REFUSED: 409,
  RATE_LIMITED: 429,
  TOO_LARGE: 413,
  ENGINE_UNAVAILABLE: 503,
  UNAVAILABLE: 503,
};

export function statusOf(code: SkiffErrorCode): number {
  return HTTP_STATUS[code] ?? 500;
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

interface ValidationIssue {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

/** "body.entitlements.0.app must match …", naming the field even for missing or unknown properties. */
function validationMessage(context: string, issue: ValidationIssue): string {
  const path = [context, ...issue.instancePath.split('/').filter(Boolean)];
  if (issue.keyword === 'required') return `${[...path, String(issue.params.missingProperty)].join('.')} is required`;
  if (issue.keyword === 'additionalProperties') return `${[...path, String(issue.params.additionalProperty)].join('.')} is not allowed`;
  return `${path.join('.')} ${issue.message ?? 'is invalid'}`;
}

/** Fastify's errors whose own messages say too little, or echo the whole request path back. */
const FRAMEWORK_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'content-type is not supported; send a JSON body with "content-type: application/json"',
  FST_ERR_MAX_PARAM_LENGTH: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters; no name, version or digest is that long`,
  FST_ERR_BAD_URL: 'the request path is not a valid URL (bad percent-encoding); encode each path parameter',
};

export function toErrorReply(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof SkiffError) return { status: statusOf(err.code), body: { error: { code: err.code, message: err.message } } };
  const fe = err as Partial<FastifyError> & { validation?: ValidationIssue[]; validationContext?: string };
  if (fe.validation?.[0]) {
    return { status: 400, body: { error: { code: 'INVALID_INPUT', message: validationMessage(fe.validationContext ?? 'request', fe.validation[0]) } } };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const message = FRAMEWORK_MESSAGES[fe.code ?? ''] ?? ((fe.message ?? 'bad request').split('\n')[0] ?? 'bad request');
    return { status: fe.statusCode, body: { error: { code: fe.statusCode === 429 ? 'RATE_LIMITED' : 'INVALID_INPUT', message } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error; see the hub log' } } };
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorReply(err);
  if (status >= 500) request.log.error({ err }, 'request failed');
  void reply.status(status).send(body);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
}

/** What Node's HTTP parser rejected (Fastify's clientErrorHandler): a request timeout, oversized headers, or malformed HTTP. */
export function clientErrorReply(code: string | undefined): { status: number; body: ErrorBody } {
  const reply = (status: number, message: string) => ({ status, body: { error: { code: 'INVALID_INPUT', message } } });
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return reply(408, 'the request did not arrive in time; send it (and its whole body) without stalling');
  if (code === 'HPE_HEADER_OVERFLOW') return reply(431, 'the request headers are too large');
  return reply(400, 'the request is not valid HTTP/1.1 (e.g. its body is shorter than its Content-Length)');
}

/** Answers on the raw socket, as Fastify's default does, but with the hub's body; then closes it. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body } = clientErrorReply(err.code);
  const text = JSON.stringify(body);
  if (socket.writable)
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  socket.destroy(err);
}
