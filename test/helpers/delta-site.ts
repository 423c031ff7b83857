// The set-up the delta tests share on the real engine (test/delta/content-delta.test.ts, multi-base.test.ts): a work
// dir holding a trust dir and a blob store, a busybox base image, app images built from contexts and stored as
// releases; and their removal afterwards.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DockerEngine } from '../../src/engine/index.ts';
import { createRelease, type LayerCompression, type StoredRelease } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust } from '../../src/trust/index.ts';
import { cleanupApp, forgetImages, removeDir, tempDir } from './agent.ts';
import { buildBusyboxImage, ensureEngine, uniqueName } from './engine.ts';

export class DeltaSite {
  readonly #tags: string[] = [];
  readonly #apps = new Set<string>();

  readonly store: FsBlobStore;

  private constructor(
    readonly engine: DockerEngine,
    /** A unique app name (the prefix and a random part). */
    readonly app: string,
    readonly work: string,
  ) {
    this.store = new FsBlobStore(path.join(work, 'store'));
  }

  /** The trust dir (made by initTrust, expiring in 30 days): `<work>/trust`. */
  get trustDir(): string {
    return path.join(this.work, 'trust');
  }

  /** The busybox image the contexts build FROM. */
  get baseTag(): string {
    return `skiff-test/${this.app}-base:1`;
  }

  static async start(prefix: string): Promise<DeltaSite> {
    const engine = await ensureEngine();
    const app = uniqueName(prefix);
    const site = new DeltaSite(engine, app, await tempDir(app));
    try {
      await initTrust(site.trustDir, { expiresDays: 30 });
      site.#tags.push(site.baseTag);
      await buildBusyboxImage(engine, site.baseTag);
      return site;
    } catch (e) {
      await site.close();
      throw e;
    }
  }

  /** Builds image `skiff-test/<app>-app:<name>` from a build context; removed by close. */
  async build(name: string, context: Buffer): Promise<string> {
    const tag = `skiff-test/${this.app}-app:${name}`;
    await this.engine.imageBuild(context, tag);
    this.#tags.push(tag);
    return tag;
  }

  /** Stores the engine's image `tag` as service `app` of release `version` of `app` (this site's app unless named). */
  async release(tag: string, version: string, opts: { app?: string; layerCompression?: LayerCompression } = {}): Promise<StoredRelease> {
    const app = opts.app ?? this.app;
    this.#apps.add(app);
    const compose = path.join(this.work, `compose-${app}-${version}.yaml`);
    await writeFile(compose, `services:\n  app:\n    image: ${tag}\n`);
    const { release } = await createRelease({ composeFile: compose, app, version, trustDir: this.trustDir, store: this.store, engine: this.engine, ...(opts.layerCompression ? { layerCompression: opts.layerCompression } : {}) });
    return release;
  }

  /** Removes the releases' images from the engine: the agent must pull what it installs through its own registry, as on a customer host. */
  async forget(releases: Iterable<StoredRelease>): Promise<void> {
    await forgetImages(this.engine, [...releases].map((r) => r.manifest.images.app!.configDigest));
  }

  /** Removes what the apps installed, the images built and the work dir. */
  async close(): Promise<void> {
    for (const app of this.#apps) await cleanupApp(this.engine, app);
    for (const t of [...this.#tags].reverse()) await this.engine.imageRemove(t, { force: true }).catch(() => undefined);
    await removeDir(this.work);
  }
}
