// Stages a release's images in the engine before anything stops: serve the verified store on 127.0.0.1 and
// let the engine pull by digest (it skips layers it has), then tag each image so it is kept for rollback.
import type { AgentEngine } from '../engine/index.ts';
import type { ReleaseManifest } from '../release/index.ts';
import type { BlobStore } from '../store/index.ts';
import { SkiffError, isSkiffError } from '../util/index.ts';
import { imageRepo } from './containers.ts';
import { LoopbackRegistry, type LoopbackImage } from './loopback-registry.ts';

const imageId = (configDigest: string): string => `sha256:${configDigest.slice(7)}`;

export async function stageImages(engine: AgentEngine, blobs: BlobStore, release: ReleaseManifest, signal?: AbortSignal): Promise<void> {
  const missing = new Map<string, LoopbackImage & { configDigest: string }>();
  for (const [service, img] of Object.entries(release.images)) {
    if (!(await engine.imageInspect(imageId(img.configDigest), signal)))
      missing.set(`${release.app}/${service}`, { digest: img.manifestDigest, mediaType: img.manifestMediaType, configDigest: img.configDigest });
  }
  if (missing.size > 0) {
    const registry = await LoopbackRegistry.start({ blobs, images: missing });
    try {
      for (const [name, img] of missing) {
        const ref = registry.pullRef(name, img.digest);
        await engine.imagePull(ref, undefined, signal).catch((e: unknown) => {
          throw unreachableRegistry(e, registry.port) ?? e;
        });
        // The pull leaves a reference naming this run's port; the tag is what keeps the image, so it comes
        // first (removing an image's only reference deletes the image).
        await tagAll(engine, release, signal, (configDigest) => configDigest === img.configDigest);
        await engine.imageRemove(ref, { noprune: true }).catch(() => undefined);
      }
    } finally {
      await registry.close();
    }
  }
  await tagAll(engine, release, signal);
}

/** The engine dialled the agent's 127.0.0.1 and found nobody: the agent runs in a network namespace of its own. */
function unreachableRegistry(e: unknown, port: number): SkiffError | undefined {
  if (!isSkiffError(e, 'ENGINE_ERROR') || !e.message.includes(`dial tcp 127.0.0.1:${port}: connect:`)) return undefined;
  return new SkiffError(
    'ENGINE_ERROR',
    `the Docker Engine cannot reach the agent's registry on 127.0.0.1:${port} (the agent runs in a network of its own): run the agent's container with --network host`,
    { cause: e },
  );
}

/** Tags the release's images (those `only` selects) as `skiff/<app>/<service>:<version>`. */
async function tagAll(engine: AgentEngine, release: ReleaseManifest, signal?: AbortSignal, only: (configDigest: string) => boolean = () => true): Promise<void> {
  for (const [service, img] of Object.entries(release.images))
    if (only(img.configDigest)) await engine.imageTag(imageId(img.configDigest), imageRepo(release.app, service), release.version, signal);
}
