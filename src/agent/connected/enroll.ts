// Enrollment: an enrollment token (its secret and the sha256 of the app's root.json v1) in, an instance identity out.
// The agent makes its own ed25519 key; the hub's root chain is believed only if its first root hashes to the token's.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname, arch, platform } from 'node:os';
import { HubClient } from '../../hub-client/index.ts';
import { parseRoot, verifyRootChain, verifyRootSelfSigned, type RootMeta } from '../../trust/index.ts';
import { SkiffError } from '../../util/index.ts';
import type { StateDir } from '../state.ts';
import type { ConnectedDir, Identity } from './identity.ts';

const TOKEN = /^(ske_[A-Za-z0-9_-]{43})\.([a-f0-9]{64})$/;

export function parseEnrollToken(token: string): { secret: string; rootSha256: string } {
  const m = TOKEN.exec(token.trim());
  if (!m?.[1] || !m[2]) throw new SkiffError('USAGE', 'the enrollment token is malformed: copy the whole ske_….<64 hex> token that skiff customer enroll-token printed');
  return { secret: m[1], rootSha256: m[2] };
}

export interface EnrollAnswer {
  readonly instance: { readonly id: string; readonly app: string; readonly name: string };
  readonly credential: string;
  /** Every root.json of the app, version 1 first, as uploaded by the vendor. */
  readonly roots: readonly string[];
}

/** Walks the hub's root chain from the root the token names; returns the newest root. */
export function trustedChain(roots: readonly string[], rootSha256: string, app: string): RootMeta {
  const [first, ...rest] = roots;
  if (first === undefined) throw new SkiffError('TRUST_INVALID', `the hub sent no root.json for ${app}: refused`);
  const got = createHash('sha256').update(first).digest('hex');
  if (got !== rootSha256)
    throw new SkiffError('TRUST_INVALID', `the hub's root.json v1 of ${app} hashes to ${got.slice(0, 12)}…, not ${rootSha256.slice(0, 12)}… as the enrollment token says: refused (wrong hub, or a tampered one)`);
  const root1 = parseRoot(first, 'root.json v1 from the hub');
  verifyRootSelfSigned(root1);
  return verifyRootChain(rest.map((r, i) => parseRoot(r, `root.json v${i + 2} from the hub`)), root1);
}

export interface EnrollOptions {
  readonly hub: string;
  readonly token: string;
  /** The hub's private CA (--hub-ca); SKIFF_HUB_CA otherwise. */
  readonly hubCa?: string;
  readonly name?: string;
  readonly facts: Readonly<Record<string, string>>;
}

/** What the agent sends to enroll (online as the body of POST /enroll; offline inside the request file). */
export interface EnrollRequestBody {
  readonly token: string;
  readonly rootSha256: string;
  readonly name: string;
  readonly publicKey: string;
  readonly facts: Readonly<Record<string, string>>;
}

/** Makes the instance key and the enrollment request for it. */
export function enrollRequest(token: string, name: string | undefined, facts: Readonly<Record<string, string>>): { body: EnrollRequestBody; keyPem: string } {
  const { secret, rootSha256 } = parseEnrollToken(token);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    body: { token: secret, rootSha256, name: name ?? hostname(), publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), facts: { hostname: hostname(), os: platform(), arch: arch(), ...facts } },
    keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** Checks the hub's answer (its root chain against the token's root hash) and records the identity and trusted root. */
export async function completeEnrollment(sd: StateDir, cd: ConnectedDir, hub: string, rootSha256: string, answer: EnrollAnswer, keyPem: string): Promise<Identity> {
  const root = trustedChain(answer.roots, rootSha256, answer.instance.app);
  // Only an enrollment the hub granted and this agent verified makes the state directory: a failed one leaves nothing.
  await mkdir(sd.dir, { recursive: true, mode: 0o700 });
  const trusted = await sd.readTrust();
  if (!trusted) await sd.updateTrust({ root });
  const id: Identity = {
    hub: hub.replace(/\/+$/, ''),
    app: answer.instance.app,
    instanceId: answer.instance.id,
    name: answer.instance.name,
    credential: answer.credential,
    enrolledAt: new Date().toISOString(),
  };
  await cd.writeIdentity(id, keyPem);
  return id;
}

/** Enrolls once: records the identity and the trusted root; a state dir that is already enrolled keeps its identity. */
export async function enroll(sd: StateDir, cd: ConnectedDir, opts: EnrollOptions): Promise<Identity> {
  const existing = await cd.readIdentity();
  if (existing) return existing;
  const { body, keyPem } = enrollRequest(opts.token, opts.name, opts.facts);
  // The enrollment secret travels in the body: it is not a credential for any other route.
  const client = new HubClient({ hub: opts.hub.replace(/\/+$/, ''), token: '', ...(opts.hubCa ? { ca: opts.hubCa } : {}) });
  const answer = await client.post<EnrollAnswer>('/enroll', body);
  return completeEnrollment(sd, cd, opts.hub, body.rootSha256, answer, keyPem);
}
