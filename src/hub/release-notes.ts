// Release notes for a customer: the changelogs (from the signed release manifests) of the releases above what its
// instances run (the oldest of them), or above `from`, up to the newest its entitled channel offers.
import { semver } from '../util/index-semver.ts';
import { parseReleaseManifest } from '../release/index.ts';
import { SkiffError } from '../util/index.ts';
import type { HubAccess } from './access.ts';
import type { CustomerPrincipal } from './auth/principal.ts';
import type { MetadataDb } from './db/types.ts';

export interface ReleaseNote {
  readonly version: string;
  readonly changelog: string;
  readonly createdAt: string;
}

export interface ReleaseNotes {
  readonly app: string;
  readonly customer: string;
  /** The version the notes start above (null: from the first release). */
  readonly from: string | null;
  /** The newest release the channel offers (null: none). */
  readonly to: string | null;
  readonly notes: readonly ReleaseNote[];
}

export async function releaseNotes(db: MetadataDb, access: HubAccess, p: CustomerPrincipal, app: string, from?: string): Promise<ReleaseNotes> {
  if (from !== undefined && !semver.valid(from)) throw new SkiffError('INVALID_INPUT', `from "${from}" is not a semantic version like 1.2.3`);
  const offered = await access.releases(p, app);
  const running = (await db.listInstances(p.customerId))
    .filter((i) => i.app === app && i.revokedAt === null && i.currentVersion !== null && semver.valid(i.currentVersion))
    .map((i) => i.currentVersion as string)
    .sort(semver.compare);
  const floor = from ?? running[0] ?? null;
  const to = offered.at(-1)?.version ?? null;
  const notes = offered
    .filter((r) => floor === null || semver.gt(r.version, floor))
    .map((r) => ({ version: r.version, changelog: parseReleaseManifest(r.manifest).changelog, createdAt: r.createdAt }));
  return { app, customer: p.customerName, from: floor, to, notes };
}
