// A blob store kept in any OCI Distribution registry (the CNCF registry, Harbor, Zot): blobs live in one
// repository of it; uploads stream through PATCH and commit with PUT ?digest=, after Skiff's own hash check.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { HashingStream, type Digest } from '../../oci/index.ts';
import { SkiffError, loadUndici } from '../../util/index.ts';
import { checkExpected, verifySource } from '../fs/blob-store.ts';
import type { BlobSource, BlobStat, BlobStore, Expected, GetOptions } from '../types.ts';

export interface RegistryBlobStoreOptions {
  /** e.g. http://127.0.0.1:5000 */
  readonly url: string;
  /** Repository holding the blobs. */
  readonly repository?: string;
  /** `user:password` for registries that ask for Basic auth. */
  readonly credentials?: string;
}

export class RegistryBlobStore implements BlobStore {
  readonly #base: string;
  readonly #repo: string;
  readonly #auth: Record<string, string>;

  constructor(opts: RegistryBlobStoreOptions) {
    const u = new URL(opts.url);
    const creds = opts.credentials ?? (u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined);
    u.username = '';
    u.password = '';
    this.#base = u.toString().replace(/\/$/, '');
    this.#repo = opts.repository ?? 'skiff/blobs';
    this.#auth = creds ? { authorization: `Basic ${Buffer.from(creds).toString('base64')}` } : {};
  }

  #blobUrl(digest: Digest): string {
    return `${this.#base}/v2/${this.#repo}/blobs/${digest}`;
  }

  async #call(method: Dispatcher.HttpMethod, url: string, opts: { headers?: Record<string, string>; body?: Readable | Buffer; signal?: AbortSignal } = {}) {
    // undici loads at the first call: the commands that import the store for its filesystem backend never pay for it.
    const { request } = await loadUndici();
    try {
      return await request(url, { method, headers: { ...this.#auth, ...opts.headers }, body: opts.body, signal: opts.signal });
    } catch (e) {
      throw new SkiffError('INTERNAL', `blob registry ${this.#base} does not answer (${(e as Error).message}): check --blob-registry`, { cause: e });
    }
  }

  async #fail(res: Dispatcher.ResponseData, what: string): Promise<never> {
    const text = (await res.body.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
    throw new SkiffError('INTERNAL', `blob registry ${this.#base}: ${what} answered ${res.statusCode} ${text}`);
  }

  async has(digest: Digest, signal?: AbortSignal): Promise<boolean> {
    return (await this.stat(digest, signal)) !== undefined;
  }

  async stat(digest: Digest, signal?: AbortSignal): Promise<BlobStat | undefined> {
    const res = await this.#call('HEAD', this.#blobUrl(digest), { signal });
    await res.body.dump();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) return this.#fail(res, `HEAD ${digest}`);
    return { digest, size: Number(res.headers['content-length']) };
  }

  async get(digest: Digest, options: GetOptions = {}): Promise<Readable> {
    const range = options.start !== undefined || options.end !== undefined ? { range: `bytes=${options.start ?? 0}-${options.end ?? ''}` } : undefined;
    const res = await this.#call('GET', this.#blobUrl(digest), { headers: range, signal: options.signal });
    if (res.statusCode === 404) {
      await res.body.dump();
      throw new SkiffError('BLOB_UNKNOWN', `blob ${digest} is not in the blob registry ${this.#base}`);
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) return this.#fail(res, `GET ${digest}`);
    return res.body;
  }

  async put(source: BlobSource, expected: Expected = {}, signal?: AbortSignal): Promise<BlobStat> {
    if (expected.digest && (await this.has(expected.digest, signal))) return verifySource(source, expected, signal);
    const start = await this.#call('POST', `${this.#base}/v2/${this.#repo}/blobs/uploads/`, { signal });
    await start.body.dump();
    if (start.statusCode !== 202) return this.#fail(start, 'starting an upload');
    let location = this.#absolute(String(start.headers.location));
    const hasher = new HashingStream();
    // pipeline, not pipe: a source that fails (a client hanging up) must end the PATCH as well, or it waits forever.
    const fed = pipeline(source, hasher);
    fed.catch(() => undefined);
    const patch = await this.#call('PATCH', location, { headers: { 'content-type': 'application/octet-stream' }, body: hasher, signal });
    await patch.body.dump();
    if (patch.statusCode !== 202) return this.#fail(patch, 'uploading');
    await fed;
    location = this.#absolute(String(patch.headers.location));
    const digest = hasher.digest();
    try {
      checkExpected(digest, hasher.size, expected);
    } catch (e) {
      await (await this.#call('DELETE', location)).body.dump();
      throw e;
    }
    const sep = location.includes('?') ? '&' : '?';
    const commit = await this.#call('PUT', `${location}${sep}digest=${encodeURIComponent(digest)}`, { signal });
    await commit.body.dump();
    if (commit.statusCode !== 201) return this.#fail(commit, `committing ${digest}`);
    return { digest, size: hasher.size };
  }

  async delete(digest: Digest, signal?: AbortSignal): Promise<void> {
    const res = await this.#call('DELETE', this.#blobUrl(digest), { signal });
    await res.body.dump();
    if (res.statusCode !== 202 && res.statusCode !== 404) return this.#fail(res, `DELETE ${digest}`);
  }

  #absolute(location: string): string {
    return location.startsWith('http') ? location : `${this.#base}${location}`;
  }
}
