// Validating parsers for root.json and signature envelopes: every error names the file and the field.
import * as z from 'zod';
import { SkiffError, type SkiffErrorCode } from '../util/index.ts';
import { canonicalJson } from './canonical-json.ts';
import { keyIdOf, sameKeyId } from './keys.ts';
import type { RootMeta, SignatureEnvelope } from './types.ts';

const keyIdSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a key id (64 lowercase hex characters)');

const signatureSchema = z.strictObject({
  keyid: keyIdSchema,
  sig: z.base64().min(1),
});

const roleSchema = z.strictObject({
  keyids: z.array(keyIdSchema).min(1),
  threshold: z.int().min(1),
});

const rootSchema = z.strictObject({
  signed: z.strictObject({
    _type: z.literal('root'),
    version: z.int().min(1),
    expires: z.iso.datetime({ offset: true }),
    keys: z.record(keyIdSchema, z.strictObject({ keytype: z.literal('ed25519'), public: z.base64().min(1) })),
    roles: z.strictObject({ root: roleSchema, release: roleSchema, timestamp: roleSchema.optional() }),
  }),
  signatures: z.array(signatureSchema),
});

const envelopeSchema = z.strictObject({ signatures: z.array(signatureSchema).min(1) });

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

function parseJson(bytes: Uint8Array | string, what: string, code: SkiffErrorCode): unknown {
  try {
    return JSON.parse(
      typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes),
    );
  } catch (e) {
    throw new SkiffError(
      code,
      `${what} is not valid JSON (${(e as Error).message}): restore the file from the vendor`,
      { cause: e },
    );
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown, what: string, code: SkiffErrorCode): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const detail = issue ? `${fieldOf(issue.path)}: ${issue.message}` : 'invalid';
  throw new SkiffError(code, `${what}: ${detail}`, { cause: result.error });
}

/** Checks what the schema cannot: role key ids are declared keys, thresholds are reachable, key ids match their keys. */
function checkRootConsistency(root: RootMeta, what: string): void {
  const { keys, roles } = root.signed;
  for (const [keyid, key] of Object.entries(keys)) {
    let actual: string;
    try {
      actual = keyIdOf(Buffer.from(key.public, 'base64'));
    } catch (e) {
      throw new SkiffError(
        'TRUST_INVALID',
        `${what}: signed.keys.${keyid}.public is not an ed25519 public key`,
        { cause: e },
      );
    }
    if (!sameKeyId(actual, keyid)) {
      throw new SkiffError(
        'TRUST_INVALID',
        `${what}: signed.keys.${keyid}: key id does not match the sha256 of its public key`,
      );
    }
  }
  for (const role of ['root', 'release', 'timestamp'] as const) {
    const keys_ = roles[role];
    if (!keys_) continue;
    const { keyids, threshold } = keys_;
    keyids.forEach((keyid, i) => {
      if (!(keyid in keys)) {
        throw new SkiffError(
          'TRUST_INVALID',
          `${what}: signed.roles.${role}.keyids.${i}: key ${keyid.slice(0, 8)} is not in signed.keys`,
        );
      }
    });
    if (new Set(keyids).size !== keyids.length) {
      throw new SkiffError('TRUST_INVALID', `${what}: signed.roles.${role}.keyids: lists a key twice`);
    }
    if (threshold > keyids.length) {
      throw new SkiffError(
        'TRUST_INVALID',
        `${what}: signed.roles.${role}.threshold: ${threshold} exceeds the ${keyids.length} key(s) of the role`,
      );
    }
  }
}

export function parseRoot(bytes: Uint8Array | string, what = 'root.json'): RootMeta {
  const root = validate(rootSchema, parseJson(bytes, what, 'TRUST_INVALID'), what, 'TRUST_INVALID');
  checkRootConsistency(root, what);
  return root;
}

export function parseEnvelope(bytes: Uint8Array | string, what = 'release.sig'): SignatureEnvelope {
  return validate(envelopeSchema, parseJson(bytes, what, 'SIGNATURE_INVALID'), what, 'SIGNATURE_INVALID');
}

/** The file text of a root: stable key order and formatting, so the same root always yields the same bytes. */
export function serializeRoot(root: RootMeta): string {
  return JSON.stringify(JSON.parse(canonicalJson(root)), null, 2) + '\n';
}
