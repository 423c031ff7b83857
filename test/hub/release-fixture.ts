// A vendor without Docker for hub tests: a trust dir and a store holding signed releases of two services whose
// layers are random bytes of chosen sizes (web changes per version, worker and the base layer are shared).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MediaType } from '../../src/oci/constants.ts';
import { sha256, type Digest } from '../../src/oci/digest.ts';
import { RELEASE_SCHEMA, releaseBytes, saveRelease, type ReleaseManifest, type StoredRelease } from '../../src/release/index.ts';
import { FsBlobStore } from '../../src/store/index.ts';
import { initTrust, loadTrustDir, serializeRoot, type TrustDir } from '../../src/trust/index.ts';

export interface SyntheticVendor {
  readonly dir: string;
  readonly app: string;
  readonly store: FsBlobStore;
  readonly trust: TrustDir;
  /** root.json version 1, as `skiff app create --root` sends it. */
  readonly rootJson: string;
  /** Creates, signs and stores `version`; its web layer is new random bytes of `webLayerSize`. */
  release(version: string, opts?: { webLayerSize?: number; changelog?: string }): Promise<StoredRelease>;
  /** Manifest bytes and signature of a release that is not stored (for refusals). */
  signed(manifest: ReleaseManifest, by?: TrustDir): { manifest: Buffer; signature: Buffer };
  cleanup(): Promise<void>;
}

async function putBlob(store: FsBlobStore, bytes: Buffer): Promise<{ digest: Digest; size: number }> {
  const digest = sha256(bytes);
  await store.put(Readable.from([bytes]), { digest, size: bytes.length });
  return { digest, size: bytes.length };
}

async function image(store: FsBlobStore, layers: readonly Buffer[]) {
  const stored = [];
  for (const l of layers) stored.push(await putBlob(store, l));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: stored.map((l) => l.digest) } }));
  const c = await putBlob(store, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: c.digest, size: c.size },
      layers: stored.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
    }),
  );
  const m = await putBlob(store, manifest);
  return {
    manifestDigest: m.digest,
    manifestMediaType: MediaType.ociManifest,
    configDigest: c.digest,
    platform: { os: 'linux', architecture: 'amd64' },
    sizes: { manifest: m.size, total: m.size + c.size + stored.reduce((a, l) => a + l.size, 0) },
  };
}

export async function makeSyntheticVendor(opts: { baseLayerSize?: number } = {}): Promise<SyntheticVendor> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-synth-'));
  const app = `app-${randomUUID().slice(0, 8)}`;
  const store = new FsBlobStore(join(dir, 'store'));
  await initTrust(join(dir, 'trust'), { expiresDays: 30 });
  const trust = await loadTrustDir(join(dir, 'trust'));
  const chain = trust.chain.map((r) => Buffer.from(serializeRoot(r)));
  const base = randomBytes(opts.baseLayerSize ?? 64 * 1024);
  const workerLayer = randomBytes(32 * 1024);
  const signed = (manifest: ReleaseManifest, by: TrustDir = trust) => {
    const bytes = releaseBytes(manifest);
    return { manifest: bytes, signature: Buffer.from(JSON.stringify(by.signRelease(bytes))) };
  };
  return {
    dir,
    app,
    store,
    trust,
    rootJson: serializeRoot(trust.chain[0] ?? trust.root),
    signed,
    async release(version, ropts = {}) {
      const web = await image(store, [base, randomBytes(ropts.webLayerSize ?? 16 * 1024)]);
      const worker = await image(store, [base, workerLayer]);
      const manifest: ReleaseManifest = {
        schema: RELEASE_SCHEMA,
        app,
        version,
        createdAt: new Date().toISOString(),
        channelHints: [],
        images: { web: { ref: `example/web:${version}`, ...web }, worker: { ref: 'example/worker:1', ...worker } },
        compose: { services: { web: { image: `example/web:${version}` }, worker: { image: 'example/worker:1' } } },
        configSchema: [],
        hooks: {},
        changelog: ropts.changelog ?? `Version ${version}.\n`,
        minAgentVersion: '0.1.0',
        sbom: [],
      };
      const s = signed(manifest);
      return saveRelease(store, s.manifest, s.signature, chain);
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
