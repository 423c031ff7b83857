// OCI error answers: the one table from error code to HTTP status, and the `{ "errors": [...] }` body.
import { OciErrorCode } from '../constants.ts';
import { isSkiffError, type SkiffErrorCode } from '../../util/index.ts';

const STATUS: Readonly<Record<OciErrorCode, number>> = {
  [OciErrorCode.blobUnknown]: 404,
  [OciErrorCode.blobUploadInvalid]: 400,
  [OciErrorCode.blobUploadUnknown]: 404,
  [OciErrorCode.digestInvalid]: 400,
  [OciErrorCode.manifestBlobUnknown]: 404,
  [OciErrorCode.manifestInvalid]: 400,
  [OciErrorCode.manifestUnknown]: 404,
  [OciErrorCode.nameInvalid]: 400,
  [OciErrorCode.nameUnknown]: 404,
  [OciErrorCode.sizeInvalid]: 400,
  [OciErrorCode.unauthorized]: 401,
  [OciErrorCode.denied]: 403,
  [OciErrorCode.unsupported]: 405,
  [OciErrorCode.tooManyRequests]: 429,
  [OciErrorCode.unknown]: 500,
};

/** How Skiff's domain errors read on the wire of /v2/. */
const FROM_SKIFF: Partial<Record<SkiffErrorCode, OciErrorCode>> = {
  UNAUTHORIZED: OciErrorCode.unauthorized,
  FORBIDDEN: OciErrorCode.denied,
  DIGEST_INVALID: OciErrorCode.digestInvalid,
  BLOB_UNKNOWN: OciErrorCode.blobUnknown,
  NOT_FOUND: OciErrorCode.nameUnknown,
  RATE_LIMITED: OciErrorCode.tooManyRequests,
  REQUIRED_RELEASE: OciErrorCode.denied,
};

/** An error answered as an OCI error body; `status` overrides the code's usual one (416, or 404 for an unknown route). */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: OciErrorCode;
  readonly status: number;
  readonly detail: unknown;

  constructor(code: OciErrorCode, message: string, options: { status?: number; detail?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status ?? STATUS[code];
    this.detail = options.detail;
  }
}

export interface OciErrorBody {
  readonly errors: readonly { readonly code: OciErrorCode; readonly message: string; readonly detail?: unknown }[];
}

/** The registry error any thrown value answers as; undefined for unexpected errors (→ 500, logged, not echoed). */
export function toRegistryError(e: unknown): RegistryError | undefined {
  if (e instanceof RegistryError) return e;
  if (isSkiffError(e)) {
    const code = FROM_SKIFF[e.code];
    return code === undefined ? undefined : new RegistryError(code, e.message, { cause: e });
  }
  return undefined;
}

export function errorBody(e: RegistryError): OciErrorBody {
  return { errors: [e.detail === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, detail: e.detail }] };
}
