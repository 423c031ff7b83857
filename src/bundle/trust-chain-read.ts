// The head of a bundle: the root chain (1, 2, 3…), the signed release and its signature, each checked as it arrives.
import type { ReleaseManifest } from '../release/index.ts';
import { EntryBudget, bundleInvalid as invalid, type TarEntry } from './entries.ts';
import { BundleLimits, Entry, ROOT_ENTRY_RE, entryLimit } from './format.ts';
import type { TrustVerifier } from './trust-verifier.ts';

export interface Verified {
  readonly release: ReleaseManifest;
  readonly releaseBytes: Buffer;
  readonly sig: Buffer;
}

export class TrustChainRead {
  readonly chain: Buffer[] = [];
  readonly #verify: TrustVerifier;
  readonly #budget: EntryBudget;
  #releaseBytes: Buffer | undefined;

  constructor(verify: TrustVerifier, budget: EntryBudget) {
    this.#verify = verify;
    this.#budget = budget;
  }

  /** Reads one entry of the head; returns the verified release once its signature is read and checked. */
  async entry(entry: TarEntry, name: string, size: number): Promise<Verified | undefined> {
    const rootMatch = ROOT_ENTRY_RE.exec(name);
    const limit = entryLimit(name);
    if (rootMatch && limit) {
      const n = Number(rootMatch[1]);
      if (n !== this.chain.length + 1) throw invalid(`${name} is out of order: roots must run 1, 2, 3…`);
      if (n > BundleLimits.roots)
        throw invalid(
          `${name} is past the limit of ${BundleLimits.roots} roots in a chain: the bundle is damaged or forged`,
        );
      const bytes = await this.#budget.read(entry, name, size, limit, true);
      this.#verify.root(n, bytes);
      this.chain.push(bytes);
      return undefined;
    }
    if (name === Entry.release && limit && this.chain.length > 0 && !this.#releaseBytes) {
      this.#releaseBytes = await this.#budget.read(entry, name, size, limit, true);
      return undefined;
    }
    if (name === Entry.signature && limit && this.#releaseBytes) {
      const sig = await this.#budget.read(entry, name, size, limit, true);
      return { release: this.#verify.release(this.#releaseBytes, sig), releaseBytes: this.#releaseBytes, sig };
    }
    throw invalid(`${name} comes before the trust chain, release and signature (is this a .skiff bundle?)`);
  }
}
