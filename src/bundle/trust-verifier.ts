// The trust step of reading a bundle: each carried root is checked as its entry is read (root N against root N−1,
// root 1 against itself, the trusted version against the trusted root), then the release signature against the newest.
import {
  canonicalJson,
  checkRootExpiry,
  parseEnvelope,
  parseRoot,
  verifyRelease,
  verifyRootSelfSigned,
  walkRootChain,
  type RootMeta,
} from '../trust/index.ts';
import { parseReleaseManifest, type ReleaseManifest } from '../release/index-manifest.ts';
import { SkiffError } from '../util/index.ts';
import { Entry } from './format.ts';

/** Verifies a bundle's trust entries one by one, so nothing unverified accumulates. */
export interface TrustVerifier {
  /** root.N.json, for N = 1, 2, … in order: throws unless it verifies against the roots before it. */
  root(version: number, bytes: Buffer): void;
  /** The release signature against the newest root reached; returns the verified release or throws. */
  release(releaseBytes: Buffer, sig: Buffer): ReleaseManifest;
}

export interface TrustOutcome {
  /** The newest root verified (what an agent persists). */
  root?: RootMeta;
}

export function trustVerifier(trusted: RootMeta, outcome: TrustOutcome = {}, now?: Date): TrustVerifier {
  const chain: RootMeta[] = [];
  let newest = trusted;
  return {
    root(version, bytes) {
      const name = Entry.root(version);
      if (version !== chain.length + 1)
        throw new SkiffError(
          'TRUST_INVALID',
          `${name} comes after root ${chain.length}: roots must run 1, 2, 3…`,
        );
      const root = parseRoot(bytes, name);
      if (root.signed.version !== version)
        throw new SkiffError(
          'TRUST_INVALID',
          `${name} holds root version ${root.signed.version}: the chain is damaged or forged; ask the vendor for an intact bundle`,
        );
      const previous = chain[chain.length - 1];
      // Root 1 signs itself; root N needs a threshold of root N−1's keys and of its own (expiry is checked on the newest only).
      if (previous) walkRootChain([root], previous);
      else verifyRootSelfSigned(root);
      if (version === trusted.signed.version && canonicalJson(root.signed) !== canonicalJson(trusted.signed))
        throw new SkiffError(
          'TRUST_INVALID',
          `${name} is not the root version ${version} this verifier trusts: the bundle comes from another vendor or its chain was forged`,
        );
      chain.push(root);
      if (version > trusted.signed.version) newest = root;
    },
    release(releaseBytes, sig) {
      checkRootExpiry(newest, now);
      verifyRelease(newest, releaseBytes, parseEnvelope(sig), chain);
      outcome.root = newest;
      return parseReleaseManifest(releaseBytes);
    },
  };
}
