// The seams of the /v2/ pull API: what a name serves (resolver) and who may ask (authenticate, challenge).
import type { FastifyRequest } from 'fastify';
import type { Digest } from '../digest.ts';
import type { BlobStore, ReadBufferBudget } from '../../store/index.ts';

export interface ResolvedManifest {
  readonly digest: Digest;
  readonly mediaType: string;
}

export interface PullResolver {
  /**
   * The manifest a name+reference resolves to, or undefined (→ 404 MANIFEST_UNKNOWN); throw
   * SkiffError('NOT_FOUND') when the name itself is unknown (→ 404 NAME_UNKNOWN).
   * `ctx` is whatever `authenticate` returned.
   */
  resolveManifest(name: string, reference: string, ctx: unknown): Promise<ResolvedManifest | undefined>;
  /** Whether the blob is reachable from something this name serves to ctx (a blob not reachable answers 404 BLOB_UNKNOWN even if the store has it). */
  blobVisible(name: string, digest: Digest, ctx: unknown): Promise<boolean>;
}

export interface DistributionOptions {
  readonly blobs: BlobStore;
  readonly resolver: PullResolver;
  /**
   * Called on every /v2 request; return a ctx, or throw SkiffError('UNAUTHORIZED') → 401 with the
   * `WWW-Authenticate` challenge from `challenge()`, SkiffError('FORBIDDEN') → 403 DENIED.
   * Default: allow all (ctx undefined).
   */
  readonly authenticate?: (req: FastifyRequest) => Promise<unknown>;
  /** The `WWW-Authenticate` value of a 401 (`Basic realm="…"` or `Bearer realm="…",service="…"`). Default: Basic realm="skiff". */
  readonly challenge?: (req: FastifyRequest) => string;
  /** The read chunk of each download, held until its response is done. Default: the process's `blobReadBudget`. */
  readonly readBudget?: ReadBufferBudget;
}
