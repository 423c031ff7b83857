// Puts a vendor's release into a hub directly (blobs into its store, the record into its database), standing in for the push API in tests.
import { readFile } from 'node:fs/promises';
import type { MetadataDb, MetadataTx, ReleaseRecord } from '../../src/hub/db/types.ts';
import { releaseBlobs, type StoredRelease } from '../../src/release/index.ts';
import type { BlobStore } from '../../src/store/index.ts';

export interface HubStorage {
  readonly db: MetadataDb;
  readonly blobs: BlobStore;
}

export interface ReleaseSource {
  /** The vendor's content store holding the release's blobs. */
  readonly store: BlobStore;
  /** Path of the vendor's root.json (version 1), used when the hub does not know the app yet. */
  readonly rootJson: string;
}

/** Writes straight into a hub's database as a test's set-up; audited (as `test.seed`) like every write. */
export function seed<R>(db: MetadataDb, fn: (tx: MetadataTx) => Promise<R>): Promise<R> {
  return db.mutate(fn, { actor: 'system', action: 'test.seed', target: 'test', address: 'local' });
}

/** Creates the app (with the vendor's root) when the hub lacks it. */
export async function ensureHubApp(db: MetadataDb, app: string, rootJson: string): Promise<void> {
  if (await db.getApp(app)) return;
  const bytes = await readFile(rootJson);
  await seed(db, (tx) => tx.createApp(app, { version: 1, bytes }));
}

/** Copies every blob the release reaches into the hub's store, then records the release (visible unless told otherwise). */
export async function putHubRelease(hub: HubStorage, vendor: ReleaseSource, release: StoredRelease, opts: { visible?: boolean } = {}): Promise<ReleaseRecord> {
  const { app, version } = release.manifest;
  await ensureHubApp(hub.db, app, vendor.rootJson);
  for (const blob of await releaseBlobs(vendor.store, release.manifest)) {
    if (await hub.blobs.has(blob.digest)) continue;
    await hub.blobs.put(await vendor.store.get(blob.digest), { digest: blob.digest, size: blob.size });
  }
  return seed(hub.db, (tx) => tx.putRelease({ app, version, digest: release.digest, manifest: release.bytes, signature: release.sig, visible: opts.visible ?? true }));
}
