// Reads what a bundle says about itself without reading its blobs: the release from release.json (its signature
// checked only when a trusted root is given) and bundle.json, an unsigned index, held up against that release.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Digest } from '../oci/index.ts';
import { parseReleaseManifest, releaseDigest, type ReleaseManifest } from '../release/index-manifest.ts';
import { SkiffError, isSkiffError } from '../util/index.ts';
import { indexDisagreement } from './bundle-json.ts';
import { EntryBudget, extractEntries } from './entries.ts';
import {
  BundleIndexSchema,
  BundleLimits,
  Entry,
  ROOT_ENTRY_RE,
  entryLimit,
  type BundleIndex,
} from './format.ts';
import type { TrustVerifier } from './trust-verifier.ts';

export interface BundleSummary {
  readonly file: string;
  readonly fileSize: number;
  /** From release.json: what the bundle is. */
  readonly release: ReleaseManifest;
  readonly releaseDigest: Digest;
  /** Whether the root chain and the release signature were checked (only with a trusted root); blobs never are here. */
  readonly signature: 'verified' | 'not checked';
  readonly roots: number;
  /** skiff/bundle.json as found: an unsigned index, not verified. */
  readonly index: BundleIndex;
  /** How bundle.json disagrees with release.json, if it does: a verify or install refuses such a bundle. */
  readonly disagreement?: string;
}

const notBundle = (file: string, why: string) =>
  new SkiffError('BUNDLE_INVALID', `${file} is not a .skiff bundle: ${why}`);

export async function inspectBundle(file: string, verify?: TrustVerifier): Promise<BundleSummary> {
  const stats = await stat(file);
  // Opening a directory succeeds and only its read fails, with an EISDIR that names no path.
  if (stats.isDirectory()) throw new SkiffError('USAGE', `${file} is a directory: pass the .skiff file inside it`);
  const fileSize = stats.size;
  const extract = extractEntries(createReadStream(file), file);
  const budget = new EntryBudget();
  let roots = 0;
  let releaseBytes: Buffer | undefined;
  let release: ReleaseManifest | undefined;
  try {
    for await (const entry of extract) {
      const { name, type, size = 0 } = entry.header;
      budget.count(name);
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      const limit = entryLimit(name);
      const root = ROOT_ENTRY_RE.exec(name);
      if (!limit || type !== 'file')
        throw notBundle(file, `${name} comes before its release and bundle.json`);
      if (root && !releaseBytes) {
        if (Number(root[1]) !== roots + 1)
          throw notBundle(file, `${name} is out of order: roots must run 1, 2, 3…`);
        if (++roots > BundleLimits.roots)
          throw notBundle(file, `${name} is past the limit of ${BundleLimits.roots} roots in a chain`);
        const bytes = await budget.read(entry, name, size, limit);
        verify?.root(roots, bytes);
      } else if (name === Entry.release && !releaseBytes) {
        releaseBytes = await budget.read(entry, name, size, limit, true);
      } else if (name === Entry.signature && releaseBytes && !release) {
        const sig = await budget.read(entry, name, size, limit, true);
        release = verify
          ? verify.release(releaseBytes, sig)
          : parseReleaseManifest(releaseBytes, `${file}: ${Entry.release}`);
      } else if (name === Entry.index && release && releaseBytes) {
        const parsed = BundleIndexSchema.safeParse(
          parseJson(await budget.read(entry, name, size, limit, true)),
        );
        if (!parsed.success)
          throw notBundle(file, `${name}: ${parsed.error.issues[0]?.path.join('.') ?? ''} is malformed`);
        const digest = releaseDigest(releaseBytes);
        const disagreement = indexDisagreement(parsed.data, release, digest);
        return {
          file,
          fileSize,
          release,
          releaseDigest: digest,
          signature: verify ? 'verified' : 'not checked',
          roots,
          index: parsed.data,
          ...(disagreement ? { disagreement } : {}),
        };
      } else {
        throw notBundle(
          file,
          `${name} is out of place: a bundle starts with its roots, release.json, release.sig and bundle.json`,
        );
      }
    }
  } catch (e) {
    if (isSkiffError(e)) throw e;
    throw new SkiffError(
      'BUNDLE_INVALID',
      `${file} is not a readable .skiff bundle: ${e instanceof Error ? e.message : String(e)}`,
    );
  } finally {
    extract.destroy();
  }
  throw notBundle(file, 'no release and bundle.json at its start');
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}
