// What a bundle read is given (the verifier, the sink, the hooks that refuse early) and what it returns.
import type { Digest } from '../oci/index.ts';
import type { ReleaseBlob, ReleaseManifest } from '../release/index-manifest.ts';
import type { BundleIndex } from './format.ts';
import type { BlobSink } from './verify-sink.ts';
import type { TrustVerifier } from './trust-verifier.ts';

/** What must still arrive once every image manifest is known: from the signed manifests, never from bundle.json. */
export interface IncomingBlobs {
  readonly blobs: number;
  readonly bytes: number;
}

export interface BundleContents {
  readonly chain: readonly Buffer[];
  readonly releaseBytes: Buffer;
  readonly sig: Buffer;
  readonly release: ReleaseManifest;
  /** bundle.json, held to the verified release and blobs (it disagreed with none of them). */
  readonly index: BundleIndex;
  /** Blobs verified from the bundle, in bundle order. */
  readonly received: readonly Digest[];
  /** Layers rebuilt from a chunk pack and the base's chunks (content-level delta), verified like received blobs. */
  readonly rebuilt: readonly Digest[];
  readonly receivedBytes: number;
  /** Blobs the release reaches that neither the bundle nor the sink had (only when `allowMissing`); what a missing image manifest reaches is unknown. */
  readonly missing: readonly ReleaseBlob[];
  /** The most bytes of tar entries the reader held in memory at once. */
  readonly peakBufferedBytes: number;
}

export interface ReadOptions {
  readonly verify: TrustVerifier;
  readonly sink: BlobSink;
  /** Called once the release is verified and bundle.json checked against it, before any blob: refuse early (wrong app, rollback, base). */
  readonly beforeBlobs?: (release: ReleaseManifest, index: BundleIndex) => Promise<void>;
  /** Called once every image manifest is known, before any config or layer is read: refuse early on verified sizes (disk). */
  readonly beforeLayers?: (incoming: IncomingBlobs, release: ReleaseManifest) => Promise<void>;
  /** Progress of blob bytes; the total is bundle.json's figure (a hint, checked at the end). */
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** `bundle verify` of a delta cannot see the base: report what is missing instead of failing. */
  readonly allowMissing?: boolean;
  readonly signal?: AbortSignal;
  /** What to call the source in errors, e.g. the file's path. */
  readonly name?: string;
  /** age identities (AGE-SECRET-KEY-1…) that decrypt an encrypted bundle's blobs. */
  readonly identities?: readonly string[];
}
