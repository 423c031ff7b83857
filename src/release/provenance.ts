// Build provenance of a release: an in-toto Statement v1 with a SLSA Provenance v1 predicate (builder, CI run, source
// commit, the Compose file's digest), whose subject is the release digest and its images, signed with the release key
// in a DSSE envelope and kept beside the release (releases/<app>/<version>/provenance.json).
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { digestHex, sha256 } from '../oci/index.ts';
import type { FsBlobStore } from '../store/index.ts';
import { parseRoot, verifyRelease, verifyRootChain, type RootMeta, type SignatureEnvelope } from '../trust/index.ts';
import { SkiffError, writeFileAtomic } from '../util/index.ts';
import type { StoredRelease } from './release-store.ts';
import { loadChain } from './release-store.ts';

export const IN_TOTO_STATEMENT = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE = 'https://slsa.dev/provenance/v1';
export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const BUILD_TYPE = 'https://skiff.dev/release-create/v1';

export interface ProvenanceInput {
  /** Who built it: a URI naming the CI system (and its pipeline), e.g. https://github.com/org/repo/.github/workflows/release.yml. */
  readonly builderId: string;
  /** The CI run, e.g. its URL. */
  readonly invocationId?: string;
  readonly sourceRepo?: string;
  readonly sourceCommit?: string;
  readonly startedOn: string;
}

/** DSSE's pre-authentication encoding: what is signed, so the payload type cannot be swapped. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), Buffer.from(payload)]);
}

/** The in-toto statement for `release`, made from the Compose file bytes it was created from. */
export function provenanceStatement(release: StoredRelease, compose: { path: string; bytes: Uint8Array }, input: ProvenanceInput, finishedOn: string): object {
  const m = release.manifest;
  const sourceDigest = input.sourceCommit ? { gitCommit: input.sourceCommit } : undefined;
  return {
    _type: IN_TOTO_STATEMENT,
    subject: [
      { name: `${m.app}@${m.version}`, digest: { sha256: digestHex(release.digest) } },
      ...Object.keys(m.images)
        .sort()
        .map((service) => ({ name: `${service}:${m.images[service]?.ref ?? ''}`, digest: { sha256: digestHex(m.images[service]!.manifestDigest) } })),
    ],
    predicateType: SLSA_PROVENANCE,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: { app: m.app, version: m.version, compose: { path: compose.path, digest: { sha256: digestHex(sha256(compose.bytes)) } } },
        resolvedDependencies: input.sourceRepo || sourceDigest ? [{ uri: input.sourceRepo ?? 'unknown', ...(sourceDigest ? { digest: sourceDigest } : {}) }] : [],
      },
      runDetails: {
        builder: { id: input.builderId },
        metadata: { ...(input.invocationId ? { invocationId: input.invocationId } : {}), startedOn: input.startedOn, finishedOn },
      },
    },
  };
}

const Envelope = z.object({ payloadType: z.string(), payload: z.string(), signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })) });
export type ProvenanceEnvelope = z.infer<typeof Envelope>;

/** Signs `statement` as a DSSE envelope with `sign` (the trust dir's release keys). */
export function signProvenance(statement: object, sign: (bytes: Uint8Array) => SignatureEnvelope): ProvenanceEnvelope {
  const payload = Buffer.from(JSON.stringify(statement));
  return { payloadType: DSSE_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [...sign(pae(DSSE_PAYLOAD_TYPE, payload)).signatures] };
}

export async function saveProvenance(store: FsBlobStore, release: StoredRelease, envelope: ProvenanceEnvelope): Promise<void> {
  await writeFileAtomic(store.paths.releaseProvenance(release.manifest.app, release.manifest.version), `${JSON.stringify(envelope, null, 2)}\n`);
}

export interface VerifiedProvenance {
  readonly statement: { subject: { name: string; digest: { sha256: string } }[]; predicate: { buildDefinition: { externalParameters: Record<string, unknown>; resolvedDependencies: unknown[] }; runDetails: { builder: { id: string }; metadata: Record<string, string> } } };
  readonly keyids: readonly string[];
}

/** The release's provenance checked against the app's root chain and its subject; undefined when it has none. */
export async function readProvenance(store: FsBlobStore, release: StoredRelease): Promise<VerifiedProvenance | undefined> {
  const { app, version } = release.manifest;
  const raw = await readFile(store.paths.releaseProvenance(app, version)).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!raw) return undefined;
  const what = `the provenance of ${app}@${version}`;
  let envelope: ProvenanceEnvelope;
  try {
    envelope = Envelope.parse(JSON.parse(raw.toString('utf8')));
  } catch (e) {
    throw new SkiffError('RELEASE_INVALID', `${what} is not a DSSE envelope: the file is damaged`, { cause: e });
  }
  const payload = Buffer.from(envelope.payload, 'base64');
  const chain: RootMeta[] = (await loadChain(store, app)).map((b, i) => parseRoot(b, `root.${i + 1}.json of ${app}`));
  const [first, ...rest] = chain;
  if (!first) throw new SkiffError('TRUST_INVALID', `the store has no root.json for ${app}: ${what} cannot be checked`);
  if (envelope.payloadType !== DSSE_PAYLOAD_TYPE) throw new SkiffError('SIGNATURE_INVALID', `${what} has payload type ${envelope.payloadType}, not ${DSSE_PAYLOAD_TYPE}`);
  verifyRelease(verifyRootChain(rest, first), pae(envelope.payloadType, payload), envelope, chain);
  const statement = JSON.parse(payload.toString('utf8')) as VerifiedProvenance['statement'];
  if (statement.subject?.[0]?.digest?.sha256 !== digestHex(release.digest))
    throw new SkiffError('SIGNATURE_INVALID', `${what} is signed but names another release (${statement.subject?.[0]?.name ?? 'none'}): it was copied from elsewhere`);
  return { statement, keyids: envelope.signatures.map((s) => s.keyid) };
}
