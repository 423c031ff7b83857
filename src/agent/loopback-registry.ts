// The agent's read-only registry on 127.0.0.1: serves exactly the verified images it is given, so the engine pulls them by digest.
import Fastify, { type FastifyInstance } from 'fastify';
import { buffer } from 'node:stream/consumers';
import { MAX_MANIFEST_BYTES, isDigest, sha256, type Digest } from '../oci/index.ts';
import { distributionPlugin, isRepositoryName, manifestReferences, type PullResolver, type ResolvedManifest } from '../oci/distribution/index.ts';
import type { BlobStore } from '../store/index.ts';
import { SkiffError } from '../util/index.ts';


export interface LoopbackImage {
  readonly digest: Digest;
  readonly mediaType: string;
}

export interface LoopbackRegistryOptions {
  readonly blobs: BlobStore;
  /** Name (e.g. 'myapp/web') → its manifest; nothing else is served, and nothing by tag. */
  readonly images: ReadonlyMap<string, LoopbackImage>;
  readonly host?: '127.0.0.1';
}

/** What one name serves: its manifests (an image, or an index and the children the store holds) and the blobs they reach. */
interface ServedName {
  readonly manifests: Map<Digest, ResolvedManifest>;
  readonly blobs: Set<Digest>;
}

export class LoopbackRegistry {
  readonly port: number;
  readonly #host: string;
  readonly #app: FastifyInstance;

  private constructor(app: FastifyInstance, host: string, port: number) {
    this.#app = app;
    this.#host = host;
    this.port = port;
  }

  static async start(opts: LoopbackRegistryOptions): Promise<LoopbackRegistry> {
    const host = opts.host ?? '127.0.0.1';
    const served = new Map<string, ServedName>();
    for (const [name, image] of opts.images) served.set(name, await collectServed(opts.blobs, name, image));
    const app = Fastify({ logger: false });
    try {
      await app.register(distributionPlugin, { blobs: opts.blobs, resolver: servedResolver(served) });
      await app.listen({ host, port: 0 });
    } catch (e) {
      await app.close();
      throw new SkiffError('INTERNAL', `the loopback registry could not listen on ${host}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const address = app.server.address();
    if (address === null || typeof address === 'string') {
      await app.close();
      throw new SkiffError('INTERNAL', `the loopback registry has no TCP port on ${host}`);
    }
    return new LoopbackRegistry(app, host, address.port);
  }

  /** e.g. '127.0.0.1:41234/myapp/web@sha256:…' — what the engine should pull. */
  pullRef(name: string, digest: Digest): string {
    return `${this.#host}:${this.port}/${name}@${digest}`;
  }

  async close(): Promise<void> {
    await this.#app.close();
  }
}

function servedResolver(served: ReadonlyMap<string, ServedName>): PullResolver {
  return {
    async resolveManifest(name, reference) {
      const entry = served.get(name);
      if (!entry) throw new SkiffError('NOT_FOUND', `repository ${name} is not served by this agent`);
      return isDigest(reference) ? entry.manifests.get(reference) : undefined;
    },
    async blobVisible(name, digest) {
      return served.get(name)?.blobs.has(digest) ?? false;
    },
  };
}

/** Reads and checks an image's manifest (and an index's children that the store holds) to list what the name serves. */
async function collectServed(blobs: BlobStore, name: string, image: LoopbackImage): Promise<ServedName> {
  if (!isRepositoryName(name))
    throw new SkiffError('INVALID_INPUT', `image name "${name}" is not a valid OCI repository name (lower-case components separated by / . _ -)`);
  const served: ServedName = { manifests: new Map(), blobs: new Set() };
  const pending: LoopbackImage[] = [image];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (served.manifests.has(next.digest)) continue;
    const what = `manifest ${next.digest} of ${name}`;
    const refs = manifestReferences(await readManifest(blobs, next.digest, what), next.mediaType, what);
    served.manifests.set(next.digest, { digest: next.digest, mediaType: next.mediaType });
    for (const blob of refs.blobs) served.blobs.add(blob.digest);
    // The engine pulls only its own platform from an index; children the store lacks stay unknown.
    for (const child of refs.manifests) if (await blobs.has(child.digest)) pending.push(child);
  }
  return served;
}

async function readManifest(blobs: BlobStore, digest: Digest, what: string): Promise<Buffer> {
  const stat = await blobs.stat(digest);
  if (!stat) throw new SkiffError('BLOB_UNKNOWN', `${what} is not in the content store: fetch or import the release again`);
  if (stat.size > MAX_MANIFEST_BYTES) throw new SkiffError('INVALID_INPUT', `${what} has ${stat.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte manifest limit`);
  const bytes = await buffer(await blobs.get(digest));
  if (sha256(bytes) !== digest) throw new SkiffError('DIGEST_MISMATCH', `${what} in the content store hashes to ${sha256(bytes)}: the store is corrupt, import the release again`);
  return bytes;
}
