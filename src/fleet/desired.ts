// The desired-state answer: what one instance should run, signed by the app's timestamp key with a short expiry.
// The agent refuses an unsigned, foreign-key, other-instance, expired or older-than-seen answer (TUF's freeze and
// rollback attacks): a compromised hub can withhold updates, never make an agent install what the vendor did not sign.
import * as z from 'zod';
import { canonicalBytes, signBytes, verifyThreshold, type RootMeta, type Signature, type SigningKey } from '../trust/index.ts';
import { SkiffError } from '../util/index.ts';
import { MaintenanceWindowSchema } from './windows.ts';

const DIGEST = z.string().regex(/^sha256:[a-f0-9]{64}$/);

export const DesiredSignedSchema = z
  .object({
    _type: z.literal('desired'),
    app: z.string().min(1).max(64),
    instance: z.string().min(1).max(64),
    /** The release to run; null when the instance's channel holds nothing it may take. */
    release: z.object({ version: z.string().min(1).max(128), digest: DIGEST }).strict().nullable(),
    /** The digest of the values the instance should run with (fetched over its authenticated channel). */
    valuesDigest: DIGEST.nullable(),
    windows: z.array(MaintenanceWindowSchema).max(64),
    /** Switch now, even outside the maintenance windows (an operator's "install now"). */
    installNow: z.boolean(),
    /** The vendor asked for a support bundle: collect one and upload it (present only while asked). */
    supportBundle: z.literal(true).optional(),
    pollSeconds: z.int().min(1).max(86_400),
    issued: z.iso.datetime({ offset: true }),
    expires: z.iso.datetime({ offset: true }),
  })
  .strict();
export type DesiredSigned = z.infer<typeof DesiredSignedSchema>;

const EnvelopeSchema = z
  .object({
    signed: z.unknown(),
    signatures: z.array(z.object({ keyid: z.string().regex(/^[0-9a-f]{64}$/), sig: z.base64().min(1) }).strict()).max(16),
  })
  .strict();

export interface DesiredEnvelope {
  readonly signed: DesiredSigned;
  readonly signatures: readonly Signature[];
}

/** Signs a desired state with the timestamp key (the hub's side). */
export function signDesired(signed: DesiredSigned, key: SigningKey): DesiredEnvelope {
  return { signed, signatures: [signBytes(key.privateKey, canonicalBytes(signed))] };
}

export interface DesiredCheck {
  readonly root: RootMeta;
  readonly app: string;
  readonly instance: string;
  readonly now: Date;
  /** The `issued` of the newest answer this agent accepted before; an older one is a replay. */
  readonly lastIssued?: string;
}

/** Parses and verifies a desired-state answer (the agent's side); every refusal names what is wrong. */
export function verifyDesired(body: unknown, check: DesiredCheck): DesiredSigned {
  const env = EnvelopeSchema.safeParse(body);
  if (!env.success) throw new SkiffError('SIGNATURE_INVALID', 'the desired state from the hub is not a signed envelope: refused');
  const parsed = DesiredSignedSchema.safeParse(env.data.signed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkiffError('SIGNATURE_INVALID', `the desired state from the hub is malformed (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}): refused`);
  }
  const signed = parsed.data;
  const role = check.root.signed.roles.timestamp;
  if (!role)
    throw new SkiffError('TRUST_INVALID', `root.json version ${check.root.signed.version} of ${check.app} lists no timestamp key, so desired state cannot be verified: the vendor adds one with skiff trust rotate --timestamp`);
  const valid = verifyThreshold(check.root.signed, 'timestamp', canonicalBytes(signed), env.data.signatures);
  if (valid < role.threshold)
    throw new SkiffError('SIGNATURE_INVALID', `the desired state is not signed by ${check.app}'s timestamp key (root version ${check.root.signed.version}): refused; the hub may be compromised or hold an old key`);
  if (signed.app !== check.app || signed.instance !== check.instance)
    throw new SkiffError('TRUST_INVALID', `the desired state is for ${signed.app} instance ${signed.instance}, not ${check.app} instance ${check.instance}: refused`);
  if (Date.parse(signed.expires) <= check.now.getTime())
    throw new SkiffError('TRUST_EXPIRED', `the desired state expired at ${signed.expires} (now ${check.now.toISOString()}): refused; a fresh one comes with the next poll`);
  if (check.lastIssued !== undefined && Date.parse(signed.issued) < Date.parse(check.lastIssued))
    throw new SkiffError('TRUST_INVALID', `the desired state was issued at ${signed.issued}, before the one this agent already accepted (${check.lastIssued}): a replay, refused`);
  return signed;
}
