// The connected agent's identity and protocol state, under the state directory:
//
//   <state>/connected/
//     identity.json   hub URL, app, instance id and name, the credential (mode 0600)
//     instance.key    the instance's own ed25519 private key, PKCS8 PEM (mode 0600); it also signs air-gapped reports
//     desired.json    the last desired-state answer accepted: its ETag and envelope (replay protection)
//     failed.json     the release (and values) whose install failed (rolled back), so it is not retried until the hub says so
//     downloads/      bundles being fetched, resumable (<app>-<version>.skiff.part)
//     enroll-pending.json  an offline enrollment waiting for the hub's answer: the new key and the token's root hash (0600)
//     last-report.json     the sequence number and time of the last air-gapped report written (the next one follows it)
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import type { HubConnection } from '../../hub-client/index.ts';
import { SkiffError, errorMessage, fsErrorMessage, writeFileAtomic, writeJsonAtomic } from '../../util/index.ts';

const IdentitySchema = z.object({
  hub: z.string().url(),
  app: z.string(),
  instanceId: z.string(),
  name: z.string(),
  credential: z.string().regex(/^ski_[A-Za-z0-9_-]{43}$/),
  enrolledAt: z.string(),
});
export type Identity = z.infer<typeof IdentitySchema>;

/** How this instance calls its hub: its credential, and the hub's private CA when one was given (--hub-ca). */
export function hubConnection(id: Identity, hubCa?: string): HubConnection {
  return { hub: id.hub, token: id.credential, ...(hubCa ? { ca: hubCa } : {}) };
}

const FailedSchema = z.object({ version: z.string(), digest: z.string(), valuesDigest: z.string().nullable().optional(), installNow: z.boolean().optional(), at: z.string(), reason: z.string() });
export type Failed = z.infer<typeof FailedSchema>;

const DesiredFileSchema = z.object({ etag: z.string(), issued: z.string(), envelope: z.unknown() });
export type DesiredFile = z.infer<typeof DesiredFileSchema>;

const PendingSchema = z.object({ rootSha256: z.string(), publicKey: z.string(), keyPem: z.string(), requestedAt: z.string() });
export type PendingEnrollment = z.infer<typeof PendingSchema>;

/** The last report written, and the recent ones (for a re-export: `skiff agent report --since N` starts where report N ended). */
const LastReportSchema = z.object({ seq: z.int().min(1), at: z.string(), written: z.array(z.object({ seq: z.int().min(1), at: z.string() })).optional() });
export type LastReport = z.infer<typeof LastReportSchema>;

export class ConnectedDir {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'connected');
  }

  downloads(file = ''): string {
    return join(this.dir, 'downloads', file);
  }

  async readIdentity(): Promise<Identity | undefined> {
    return readJson(join(this.dir, 'identity.json'), IdentitySchema, 'enroll again with skiff agent run --enroll-token (after skiff instance revoke of the old one)');
  }
  async writeIdentity(id: Identity, keyPem: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dir, 'instance.key'), keyPem, 0o600);
    await writeJsonAtomic(join(this.dir, 'identity.json'), id, 0o600);
  }

  async readDesired(): Promise<DesiredFile | undefined> {
    return readJson(join(this.dir, 'desired.json'), DesiredFileSchema, 'remove it: the agent fetches a fresh answer');
  }
  async writeDesired(d: DesiredFile): Promise<void> {
    await writeJsonAtomic(join(this.dir, 'desired.json'), d, 0o600);
  }

  async readFailed(): Promise<Failed | undefined> {
    return readJson(join(this.dir, 'failed.json'), FailedSchema, 'remove it to retry the release');
  }
  async writeFailed(f: Failed | undefined): Promise<void> {
    if (f) await writeJsonAtomic(join(this.dir, 'failed.json'), f, 0o600);
    else await rm(join(this.dir, 'failed.json'), { force: true });
  }

  async readInstanceKey(): Promise<string> {
    const path = join(this.dir, 'instance.key');
    return readFile(path, 'utf8').catch((e: unknown) => {
      throw new SkiffError('STATE_INVALID', fsErrorMessage(e, 'the instance key', { path, fix: 'enroll again' }) ?? `cannot read the instance key ${path}: ${errorMessage(e)}; enroll again`, { cause: e });
    });
  }

  async readPending(): Promise<PendingEnrollment | undefined> {
    return readJson(join(this.dir, 'enroll-pending.json'), PendingSchema, 'remove it and start the offline enrollment again');
  }
  async writePending(p: PendingEnrollment | undefined): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (p) await writeJsonAtomic(join(this.dir, 'enroll-pending.json'), p, 0o600);
    else await rm(join(this.dir, 'enroll-pending.json'), { force: true });
  }

  async readLastReport(): Promise<LastReport | undefined> {
    return readJson(join(this.dir, 'last-report.json'), LastReportSchema, 'restore it from a backup: the hub refuses a report whose sequence number it has seen');
  }
  async writeLastReport(r: LastReport): Promise<void> {
    await writeJsonAtomic(join(this.dir, 'last-report.json'), r, 0o600);
  }
}

async function readJson<T>(path: string, schema: z.ZodType<T>, fix: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SkiffError('STATE_INVALID', fsErrorMessage(e, undefined, { path, fix }) ?? `cannot read ${path}: ${errorMessage(e)}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SkiffError('STATE_INVALID', `${path} is not valid JSON: ${fix}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SkiffError('STATE_INVALID', `${path} is malformed (${parsed.error.issues[0]?.path.join('.') ?? ''}): ${fix}`);
  return parsed.data;
}
