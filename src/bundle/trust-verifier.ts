// The trust step of reading a bundle: walk the carried root chain from what the reader already trusts,
// then check the release signature against the newest root.
import { parseEnvelope, parseRoot, verifyRelease, verifyRootChain, type RootMeta } from '../trust/index.ts';
import { parseReleaseManifest } from '../release/manifest.ts';
import type { TrustVerifier } from './reader.ts';

export interface TrustOutcome {
  /** The newest root verified (what an agent persists). */
  root?: RootMeta;
}

export function trustVerifier(trusted: RootMeta, outcome: TrustOutcome = {}, now?: Date): TrustVerifier {
  return (chainBytes, releaseBytes, sig) => {
    const chain = chainBytes.map((b, i) => parseRoot(b, `skiff/trust/root.${i + 1}.json`));
    const root = verifyRootChain(chain, trusted, now);
    verifyRelease(root, releaseBytes, parseEnvelope(sig), chain);
    outcome.root = root;
    return parseReleaseManifest(releaseBytes);
  };
}
