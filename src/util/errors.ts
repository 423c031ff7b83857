// The one error class of Skiff: a stable code for machines, a message naming the thing and the fix for people.

export type SkiffErrorCode =
  | 'USAGE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID_INPUT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'DIGEST_INVALID'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'BLOB_UNKNOWN'
  | 'TRUST_INVALID'
  | 'TRUST_EXPIRED'
  | 'SIGNATURE_INVALID'
  | 'KEY_REVOKED'
  | 'COMPOSE_INVALID'
  | 'COMPOSE_UNSUPPORTED_KEY'
  | 'CONFIG_INVALID'
  | 'RELEASE_INVALID'
  | 'RELEASE_EXISTS'
  | 'RELEASE_ROLLBACK'
  | 'WRONG_APP'
  | 'BUNDLE_INVALID'
  | 'BUNDLE_TRUNCATED'
  | 'BASE_MISSING'
  | 'ENGINE_UNAVAILABLE'
  | 'UNAVAILABLE'
  | 'ENGINE_ERROR'
  | 'PREFLIGHT_FAILED'
  | 'HEALTH_FAILED'
  | 'HOOK_FAILED'
  | 'STATE_INVALID'
  | 'REQUIRED_RELEASE'
  | 'POLICY_REFUSED'
  | 'DECRYPT_FAILED'
  | 'HUB_UNREACHABLE'
  | 'TOO_LARGE'
  | 'INTERNAL';

export class SkiffError extends Error {
  override readonly name = 'SkiffError';
  readonly code: SkiffErrorCode;
  /** Lines that follow the one-line message, one per problem (every problem of a Compose file); often none. */
  readonly details: readonly string[];

  constructor(code: SkiffErrorCode, message: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message, options);
    this.code = code;
    this.details = options?.details ?? [];
  }
}

export function isSkiffError(e: unknown, code?: SkiffErrorCode): e is SkiffError {
  return e instanceof SkiffError && (code === undefined || e.code === code);
}

/** A one-line message for any thrown value; never a stack trace. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? String(e);
  return String(e);
}
