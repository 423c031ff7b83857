// The two files of an offline enrollment: the request the air-gapped agent writes (the body the online enrollment
// sends) and the answer the vendor gets from the hub for it (the online answer, plus the hub's URL and the key it is for).
import * as z from 'zod';
import { SkiffError } from '../util/index.ts';

export const EnrollRequestFileSchema = z
  .object({
    skiffEnrollRequest: z.literal(1),
    token: z.string().regex(/^ske_[A-Za-z0-9_-]{43}$/),
    rootSha256: z.string().regex(/^[a-f0-9]{64}$/),
    name: z.string().min(1).max(64),
    publicKey: z.string().min(40).max(200),
    facts: z.record(z.string(), z.string()),
  })
  .strict();
export type EnrollRequestFile = z.infer<typeof EnrollRequestFileSchema>;

export const EnrollAnswerFileSchema = z
  .object({
    skiffEnrollAnswer: z.literal(1),
    hub: z.string().url(),
    /** The instance key this answer enrolls (the request's), so an agent never completes with another's answer. */
    publicKey: z.string(),
    instance: z.object({ id: z.string(), app: z.string(), name: z.string() }).passthrough(),
    credential: z.string(),
    roots: z.array(z.string()).min(1),
  })
  .strict();
export type EnrollAnswerFile = z.infer<typeof EnrollAnswerFileSchema>;

/** Parses one of the two files' text; a wrong or damaged file is a one-line error naming it. */
export function parseEnrollFile<T>(text: string, schema: z.ZodType<T>, what: string, fix: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SkiffError('INVALID_INPUT', `${what} is not JSON: ${fix}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkiffError('INVALID_INPUT', `${what} is not ${fix.startsWith('pass') ? 'the expected file' : 'valid'} (${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}): ${fix}`);
  }
  return parsed.data;
}
