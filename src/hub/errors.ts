// The hub's one table from SkiffError code to HTTP status and its one error handler: `{ "error": { code, message } }`.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SkiffError, type SkiffErrorCode } from '../util/errors.ts';

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
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BLOB_UNKNOWN: 404,
  BASE_MISSING: 404,
  CONFLICT: 409,
  RELEASE_EXISTS: 409,
  RELEASE_ROLLBACK: 409,
  REQUIRED_RELEASE: 409,
  RATE_LIMITED: 429,
  ENGINE_UNAVAILABLE: 503,
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

export function toErrorReply(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof SkiffError) return { status: statusOf(err.code), body: { error: { code: err.code, message: err.message } } };
  const fe = err as Partial<FastifyError> & { validation?: ValidationIssue[]; validationContext?: string };
  if (fe.validation?.[0]) {
    return { status: 400, body: { error: { code: 'INVALID_INPUT', message: validationMessage(fe.validationContext ?? 'request', fe.validation[0]) } } };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const message =
      fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'content-type is not supported; send a JSON body with "content-type: application/json"'
        : ((fe.message ?? 'bad request').split('\n')[0] ?? 'bad request');
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
