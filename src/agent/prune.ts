// Keeps the images and blobs of the releases the agent may return to (current and previous), removes the rest.
import type { AgentEngine } from '../engine/index.ts';
import { releaseBlobs, findRelease, listReleases } from '../release/index.ts';
import type { FsBlobStore } from '../store/index.ts';
import { imageRepo } from './containers.ts';

export async function prune(engine: AgentEngine, store: FsBlobStore, app: string, keepVersions: readonly string[]): Promise<{ images: number; blobs: number }> {
  let images = 0;
  const kept = new Set<string>();
  for (const v of keepVersions) {
    const r = await findRelease(store, app, v);
    if (r) for (const b of await releaseBlobs(store, r.manifest)) kept.add(b.digest);
  }
  for (const r of await listReleases(store, app)) {
    if (keepVersions.includes(r.manifest.version)) continue;
    for (const service of Object.keys(r.manifest.images)) {
      const ref = `${imageRepo(app, service)}:${r.manifest.version}`;
      if (await engine.imageInspect(ref)) {
        // Untags; the engine deletes the image when no tag or container still uses it.
        await engine.imageRemove(ref).catch(() => undefined);
        images++;
      }
    }
  }
  let blobs = 0;
  for await (const d of store.list()) {
    if (!kept.has(d)) {
      await store.delete(d);
      blobs++;
    }
  }
  return { images, blobs };
}
